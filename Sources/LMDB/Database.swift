import CLMDB

/// A handle to one named database inside an environment. Handles are plain numbers,
/// valid for the environment's lifetime and shareable across threads once opened.
public struct Database: Hashable, Sendable {
    @usableFromInline let dbi: MDB_dbi
    /// Whether it keeps several values per key (`MDB_DUPSORT`), as the file says: a
    /// recorded cursor delete must then name the value too.
    let hasDuplicates: Bool

    init(dbi: MDB_dbi, hasDuplicates: Bool = false) {
        self.dbi = dbi
        self.hasDuplicates = hasDuplicates
    }

    /// The handle `dbi` with the flags the database was created with, which can differ
    /// from those it was opened with.
    static func opened(_ dbi: MDB_dbi, in transaction: OpaquePointer?) throws(LMDBError) -> Database {
        var flags: UInt32 = 0
        try LMDBError.check(mdb_dbi_flags(transaction, dbi, &flags), "mdb_dbi_flags")
        return Database(dbi: dbi, hasDuplicates: flags & UInt32(MDB_DUPSORT) != 0)
    }

    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Several sorted values per key.
        public static let duplicateSort = Flags(rawValue: UInt32(MDB_DUPSORT))
        /// Create the database if it does not exist (only in a write transaction).
        public static let create = Flags(rawValue: UInt32(MDB_CREATE))
    }
}
