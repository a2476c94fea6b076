import TidemarkStore

/// One committed PostgreSQL transaction as Tidemark will record it.
struct CapturedTransaction: Sendable, Equatable {
    var xid: UInt32
    /// The LSN of the commit record: the transaction's position in the stream.
    var commitLSN: UInt64
    /// Just past the commit record: what the slot may be confirmed up to once recorded.
    var endLSN: UInt64
    /// Microseconds since the Unix epoch, PostgreSQL's commit time.
    var commitTime: Int64
    /// Sorted by table; empty when nothing of the transaction passed the table filter.
    var changes: [Change]
}
