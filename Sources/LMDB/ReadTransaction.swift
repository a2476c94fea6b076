import CLMDB

/// A read-only snapshot. Non-copyable so that it cannot outlive its scope or be ended
/// twice; it is always ended in deinit: aborted (LMDB's way of ending a reader), or, for a
/// pooled one, reset so that its reader slot can be renewed for the next snapshot.
public struct ReadTransaction: ~Copyable, TransactionReading {
    @usableFromInline let handle: OpaquePointer
    private let pooled: Bool

    init(environment: Environment) throws(LMDBError) {
        var transaction: OpaquePointer?
        try LMDBError.check(
            mdb_txn_begin(environment.handle, nil, UInt32(MDB_RDONLY), &transaction), "mdb_txn_begin(read)")
        self.handle = transaction!
        self.pooled = false
    }

    /// Starts a new snapshot on a reset transaction of the environment's reader pool.
    @usableFromInline
    init(renewing handle: OpaquePointer) throws(LMDBError) {
        try LMDBError.check(mdb_txn_renew(handle), "mdb_txn_renew")
        self.handle = handle
        self.pooled = true
    }

    deinit {
        // A reset reader keeps its slot but no longer holds its snapshot's pages.
        if pooled { mdb_txn_reset(handle) } else { mdb_txn_abort(handle) }
    }

    @inlinable
    public func withValue<Result>(
        in database: Database, forKeyBytes key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result? {
        try TransactionOperations.withValue(handle, database, key, body)
    }

    public func withCursor<Result>(on database: Database, _ body: (inout Cursor) throws -> Result) throws -> Result {
        try TransactionOperations.withCursor(handle, database, body)
    }

    public func count(of database: Database) throws -> Int {
        try TransactionOperations.count(handle, database)
    }
}
