/// One entry of the write-ahead change log.
public struct Record: Hashable, Sendable {
    public var lsn: LSN
    public var time: Milliseconds
    public var kind: RecordKind
    public var changes: [Change]
    public var intent: String?
    /// The client's `meta` object, kept as the exact JSON text it was written in:
    /// the store never interprets it.
    public var meta: [UInt8]?
    public var peer: Peer

    public init(
        lsn: LSN, time: Milliseconds, kind: RecordKind, changes: [Change],
        intent: String? = nil, meta: [UInt8]? = nil, peer: Peer
    ) {
        self.lsn = lsn
        self.time = time
        self.kind = kind
        self.changes = changes
        self.intent = intent
        self.meta = meta
        self.peer = peer
    }

    /// Whether any change of this record is to one of `tables`.
    public func touches(anyOf tables: Set<String>) -> Bool {
        changes.contains { tables.contains($0.table) }
    }
}
