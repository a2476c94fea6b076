import CLMDB

/// The reads both kinds of transaction offer, so that code which only reads can run
/// inside a read snapshot or inside the write transaction that is about to change it.
public protocol TransactionReading: ~Copyable {
    /// Calls `body` with the value stored under `key`, or returns nil when there is none.
    /// The bytes point into the map and are valid only during `body`.
    /// `key` may point into a caller's stack buffer: the hot read paths build their keys
    /// without allocating.
    func withValue<Result>(
        in database: Database, forKeyBytes key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result?

    /// Runs `body` with a cursor over `database`, closed when `body` returns.
    func withCursor<Result>(on database: Database, _ body: (inout Cursor) throws -> Result) throws -> Result

    /// The number of entries in `database`.
    func count(of database: Database) throws -> Int
}

extension TransactionReading where Self: ~Copyable {
    /// Calls `body` with the value stored under `key`, or returns nil when there is none.
    @inlinable
    public func withValue<Result>(
        in database: Database, forKey key: [UInt8],
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result? {
        try key.withUnsafeBytes { try withValue(in: database, forKeyBytes: $0, body) }
    }

    public func contains(_ key: [UInt8], in database: Database) throws -> Bool {
        try withValue(in: database, forKey: key) { _ in true } ?? false
    }

    public func value(in database: Database, forKey key: [UInt8]) throws -> [UInt8]? {
        try withValue(in: database, forKey: key) { Array($0) }
    }
}

/// The shared implementation behind both transaction types. `withValue` is inlinable:
/// the store's rules call it several times per check from another module, and an
/// unspecialised generic call there costs more than the LMDB search itself.
@usableFromInline
enum TransactionOperations {
    @inlinable
    static func withValue<Result>(
        _ transaction: OpaquePointer, _ database: Database, _ key: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result? {
        var value = MDB_val()
        var mdbKey = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let returnCode = mdb_get(transaction, database.dbi, &mdbKey, &value)
        if returnCode == MDB_NOTFOUND { return nil }
        try LMDBError.check(returnCode, "mdb_get")
        return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    @usableFromInline
    static func withCursor<Result>(
        _ transaction: OpaquePointer, _ database: Database, _ body: (inout Cursor) throws -> Result
    ) throws -> Result {
        var cursor = try Cursor(transaction: transaction, database: database)
        return try body(&cursor)
    }

    @usableFromInline
    static func count(_ transaction: OpaquePointer, _ database: Database) throws -> Int {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(transaction, database.dbi, &stat), "mdb_stat")
        return stat.ms_entries
    }
}
