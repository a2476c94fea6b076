/// Which records a `log` read wants.
public struct LogQuery: Hashable, Sendable {
    /// Inclusive; `nil` means the oldest retained record.
    public var from: LSN?
    public var limit: Int
    /// Only records with a change to one of these tables; `nil` for all.
    public var tables: Set<String>?

    public init(from: LSN? = nil, limit: Int, tables: Set<String>? = nil) {
        self.from = from
        self.limit = limit
        self.tables = tables
    }
}

/// One page of the change log.
public struct LogPage: Hashable, Sendable {
    public var records: [Record]
    /// The `from` that continues where this page ended.
    public var next: LSN
    /// The first retained LSN (the current LSN + 1 when the log is empty).
    public var oldest: LSN

    public init(records: [Record], next: LSN, oldest: LSN) {
        self.records = records
        self.next = next
        self.oldest = oldest
    }
}
