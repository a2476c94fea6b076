import CLMDB

/// A handle to one named database inside an environment. Handles are plain numbers,
/// valid for the environment's lifetime and shareable across threads once opened.
public struct Database: Hashable, Sendable {
    @usableFromInline let dbi: MDB_dbi

    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Several sorted values per key.
        public static let duplicateSort = Flags(rawValue: UInt32(MDB_DUPSORT))
        /// Create the database if it does not exist (only in a write transaction).
        public static let create = Flags(rawValue: UInt32(MDB_CREATE))
    }
}
