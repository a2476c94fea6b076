/// What each benchmark request does.
public enum BenchWorkload: String, Sendable, CaseIterable {
    /// `write` of one key: a durable record, answered after fsync.
    case write
    /// `stamp` of `deps` deps.
    case stamp
    /// `check {epoch, lsn, deps}` against a stamp taken during setup.
    case check
    /// `check {entries}` with `batch` entries per request; reported as entries per second.
    case checkBatch = "check-batch"
    /// A mix of check, stamp and write requests (90/5/5 by default).
    case mixed
}

/// The kind of one request; `mixed` draws one of these per request.
public enum BenchOperation: Int, Sendable, CaseIterable {
    case check
    case stamp
    case write
    case checkBatch
}
