import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// A position in one database, scoped to `withCursor { }` so it is closed before its
/// transaction ends (LMDB frees write-transaction cursors itself at commit, and a later
/// close would touch freed memory).
public struct Cursor: ~Copyable {
    private let handle: OpaquePointer
    private let changes: ChangeSet?
    private let database: Database

    /// A key and value pointing into the map, valid until the cursor moves or the
    /// transaction ends.
    public struct Entry {
        public let key: UnsafeRawBufferPointer
        public let value: UnsafeRawBufferPointer

        public var keyBytes: [UInt8] { Array(key) }
        public var valueBytes: [UInt8] { Array(value) }

        /// Whether the key starts with `prefix`.
        public func keyHasPrefix(_ prefix: [UInt8]) -> Bool {
            guard key.count >= prefix.count else { return false }
            return prefix.withUnsafeBytes { prefixBytes in
                prefix.isEmpty || memcmp(key.baseAddress!, prefixBytes.baseAddress!, prefix.count) == 0
            }
        }
    }

    init(transaction: OpaquePointer, database: Database, recordingInto changes: ChangeSet? = nil) throws(LMDBError) {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(transaction, database.dbi, &cursor), "mdb_cursor_open")
        self.handle = cursor!
        self.changes = changes
        self.database = database
    }

    deinit {
        mdb_cursor_close(handle)
    }

    public mutating func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST) }
    public mutating func last() throws(LMDBError) -> Entry? { try move(MDB_LAST) }
    public mutating func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT) }
    public mutating func previous() throws(LMDBError) -> Entry? { try move(MDB_PREV) }
    /// The next value of the current key in a duplicate-sorted database.
    public mutating func nextDuplicate() throws(LMDBError) -> Entry? { try move(MDB_NEXT_DUP) }

    /// Positions at the first key greater than or equal to `key`.
    public mutating func seek(atLeast key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { keyBytes in
            var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return try move(MDB_SET_RANGE, key: &mdbKey)
        }
    }

    /// Positions at exactly `key` (its first value in a duplicate-sorted database).
    public mutating func seek(exactly key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { keyBytes in
            var mdbKey = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return try move(MDB_SET_KEY, key: &mdbKey)
        }
    }

    /// Deletes the entry under the cursor (write transactions only).
    public mutating func deleteCurrent() throws(LMDBError) {
        if let changes {
            // In a duplicate-sorted database the cursor deletes one value, and the replay
            // must delete that one too; otherwise the key alone says it, and a compaction's
            // frame holds its records' keys, not the records. Recorded first: the entry
            // points into the page the delete changes. A failed delete fails the whole
            // transaction, so the extra record is never journaled.
            guard let current = try move(MDB_GET_CURRENT) else { return }
            if database.hasDuplicates {
                changes.record(.deletePair, database, key: current.key, value: current.value)
            } else {
                changes.record(.deleteKey, database, key: current.key, value: nil)
            }
        }
        try LMDBError.check(mdb_cursor_del(handle, 0), "mdb_cursor_del")
    }

    private mutating func move(_ operation: MDB_cursor_op) throws(LMDBError) -> Entry? {
        var key = MDB_val()
        return try move(operation, key: &key)
    }

    private mutating func move(_ operation: MDB_cursor_op, key: inout MDB_val) throws(LMDBError) -> Entry? {
        var value = MDB_val()
        let returnCode = mdb_cursor_get(handle, &key, &value, operation)
        if returnCode == MDB_NOTFOUND { return nil }
        try LMDBError.check(returnCode, "mdb_cursor_get")
        return Entry(
            key: UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
            value: UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
        )
    }
}
