/// Where a journaled write transaction's changes go before it commits: the transaction
/// commits only once `append` has made them durable, so the environment itself can run
/// without its own flushes (`durable == false`) and a data file that lost its newest
/// commits is repaired by replaying them.
public protocol WriteAheadLog: AnyObject {
    /// Makes `changes` (a `ChangeSet`'s bytes) durable.
    func append(_ changes: [UInt8]) throws
    /// Takes back the last append, whose transaction then failed to commit, so that
    /// recovery never replays it.
    func withdrawLastAppend() throws
}
