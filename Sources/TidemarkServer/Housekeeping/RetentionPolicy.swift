import TidemarkStore

/// How much of the change log to keep; older records are compacted in the background.
/// Versions, intents and names are never affected, only the records that explain them.
public struct RetentionPolicy: Hashable, Sendable {
    /// Keep at most this many of the newest records.
    public var maxRecords: UInt64?
    /// Keep records younger than this many milliseconds.
    public var maxAge: Milliseconds?

    public init(maxRecords: UInt64? = nil, maxAge: Milliseconds? = nil) {
        self.maxRecords = maxRecords
        self.maxAge = maxAge
    }

    public var isUnbounded: Bool { maxRecords == nil && maxAge == nil }
}
