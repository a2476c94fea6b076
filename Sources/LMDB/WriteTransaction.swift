import CLMDB

/// A write transaction. Non-copyable with a consuming `commit()`, so a transaction can
/// be committed at most once and cannot be used afterwards; one that is dropped without
/// commit is aborted in deinit and writes nothing.
public struct WriteTransaction: ~Copyable, TransactionReading {
    @usableFromInline let handle: OpaquePointer
    /// Where each change goes as it is made, when the transaction is journaled. Unmanaged
    /// so that `commit()` can `discard self` (only trivially destroyed fields allow it);
    /// `Environment.write(loggingTo:)` holds the set for the transaction's lifetime.
    private let recording: Unmanaged<ChangeSet>?
    private var changes: ChangeSet? { recording?.takeUnretainedValue() }

    init(environment: Environment, recordingInto changes: ChangeSet? = nil) throws(LMDBError) {
        var transaction: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(environment.handle, nil, 0, &transaction), "mdb_txn_begin(write)")
        self.handle = transaction!
        self.recording = changes.map { Unmanaged.passUnretained($0) }
    }

    deinit {
        mdb_txn_abort(handle)
    }

    /// Whether a journaled transaction has changed anything yet.
    public var hasChanges: Bool { !(changes?.isEmpty ?? true) }

    /// Makes every change of the transaction durable (unless the environment was opened
    /// non-durable) and visible to new readers, all at once.
    public consuming func commit() throws(LMDBError) {
        let handle = self.handle
        discard self
        // mdb_txn_commit frees the transaction even when it fails, so no abort follows.
        try LMDBError.check(mdb_txn_commit(handle), "mdb_txn_commit")
    }

    @inlinable
    public func withValue<Result>(
        in database: Database, forKeyBytes key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result? {
        try TransactionOperations.withValue(handle, database, key, body)
    }

    public func withCursor<Result>(on database: Database, _ body: (inout Cursor) throws -> Result) throws -> Result {
        var cursor = try Cursor(transaction: handle, database: database, recordingInto: changes)
        return try body(&cursor)
    }

    public func count(of database: Database) throws -> Int {
        try TransactionOperations.count(handle, database)
    }

    public func put(_ value: [UInt8], forKey key: [UInt8], in database: Database) throws {
        guard key.count <= Int(mdb_env_get_maxkeysize(mdb_txn_env(handle))) else {
            throw LMDBError(code: .keyTooLong, returnCode: MDB_BAD_VALSIZE, operation: "mdb_put")
        }
        try key.withUnsafeBytes { (keyBytes) in
            try value.withUnsafeBytes { (valueBytes) in
                var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var mdbValue = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                try LMDBError.check(mdb_put(handle, database.dbi, &mdbKey, &mdbValue, 0), "mdb_put")
                changes?.record(.put, database, key: keyBytes, value: valueBytes)
            }
        }
    }

    /// Deletes `key` (in a duplicate-sorted database, only the pair `key`/`value` when a
    /// value is given). Returns whether anything was deleted.
    @discardableResult
    public func delete(_ key: [UInt8], value: [UInt8]? = nil, in database: Database) throws(LMDBError) -> Bool {
        let returnCode = key.withUnsafeBytes { keyBytes in
            var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            guard let value else {
                let returnCode = mdb_del(handle, database.dbi, &mdbKey, nil)
                if returnCode == MDB_SUCCESS { changes?.record(.deleteKey, database, key: keyBytes, value: nil) }
                return returnCode
            }
            return value.withUnsafeBytes { valueBytes in
                var mdbValue = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                let returnCode = mdb_del(handle, database.dbi, &mdbKey, &mdbValue)
                if returnCode == MDB_SUCCESS { changes?.record(.deletePair, database, key: keyBytes, value: valueBytes) }
                return returnCode
            }
        }
        if returnCode == MDB_NOTFOUND { return false }
        try LMDBError.check(returnCode, "mdb_del")
        return true
    }

    /// Applies what a journaled transaction recorded (see `ChangeSet`), unrecorded. A
    /// delete of what is already gone is no change, so replaying twice is harmless.
    public func replay(_ recorded: [UInt8]) throws(LMDBError) {
        var reader = ChangeSetReader(recorded)
        while let entry = try reader.next() {
            let returnCode = reader.withBytes(entry.key) { keyBytes -> Int32 in
                var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                guard let valueRange = entry.value else { return mdb_del(handle, entry.database, &mdbKey, nil) }
                return reader.withBytes(valueRange) { valueBytes in
                    var mdbValue = MDB_val(
                        mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                    return entry.operation == .put
                        ? mdb_put(handle, entry.database, &mdbKey, &mdbValue, 0)
                        : mdb_del(handle, entry.database, &mdbKey, &mdbValue)
                }
            }
            if returnCode == MDB_NOTFOUND && entry.operation != .put { continue }
            try LMDBError.check(returnCode, "mdb_put/mdb_del (replay)")
        }
    }
}
