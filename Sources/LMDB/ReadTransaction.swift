import CLMDB

/// A read-only snapshot. Non-copyable so that it cannot outlive its scope or be ended
/// twice; it is always aborted (LMDB's way of ending a reader) in deinit.
public struct ReadTransaction: ~Copyable, TransactionReading {
    let handle: OpaquePointer

    init(environment: Environment) throws(LMDBError) {
        var transaction: OpaquePointer?
        try LMDBError.check(
            mdb_txn_begin(environment.handle, nil, UInt32(MDB_RDONLY), &transaction), "mdb_txn_begin(read)")
        self.handle = transaction!
    }

    deinit {
        mdb_txn_abort(handle)
    }

    public func withValue<Result>(
        in database: Database, forKey key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Result
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
