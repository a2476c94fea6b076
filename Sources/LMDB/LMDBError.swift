import CLMDB

/// Every failure of the LMDB layer. The one place LMDB return codes become Swift values.
public struct LMDBError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: Hashable, Sendable {
            case notFound, keyExists, mapFull, readersFull, transactionFull, databasesFull
            case mapResized, corrupted, panic, versionMismatch, invalidFile, incompatible
            case badTransaction, badValueSize, badDatabase, keyTooLong, system
        }

        fileprivate let kind: Kind

        public static let notFound = Code(kind: .notFound)
        public static let keyExists = Code(kind: .keyExists)
        /// The map (the file's size limit) is full: nothing of the transaction was written.
        public static let mapFull = Code(kind: .mapFull)
        public static let readersFull = Code(kind: .readersFull)
        public static let transactionFull = Code(kind: .transactionFull)
        public static let databasesFull = Code(kind: .databasesFull)
        public static let mapResized = Code(kind: .mapResized)
        public static let corrupted = Code(kind: .corrupted)
        public static let panic = Code(kind: .panic)
        public static let versionMismatch = Code(kind: .versionMismatch)
        public static let invalidFile = Code(kind: .invalidFile)
        public static let incompatible = Code(kind: .incompatible)
        public static let badTransaction = Code(kind: .badTransaction)
        public static let badValueSize = Code(kind: .badValueSize)
        public static let badDatabase = Code(kind: .badDatabase)
        /// A key longer than `Environment.maxKeySize`, caught before LMDB sees it.
        public static let keyTooLong = Code(kind: .keyTooLong)
        /// An operating-system error (`errno`), such as ENOSPC, EACCES or EAGAIN.
        public static let system = Code(kind: .system)

        public var description: String { "\(kind)" }
    }

    public let code: Code
    /// The raw LMDB or errno return code.
    public let returnCode: Int32
    /// The LMDB call that failed, e.g. `mdb_txn_commit`.
    public let operation: String

    public init(code: Code, returnCode: Int32, operation: String) {
        self.code = code
        self.returnCode = returnCode
        self.operation = operation
    }

    public var message: String { String(cString: mdb_strerror(returnCode)) }

    public var description: String { "\(operation): \(message) (\(returnCode))" }

    /// Throws unless `returnCode` is `MDB_SUCCESS`. Inlinable, with the failure kept out
    /// of line, so that the readers' hot paths in other modules pay one comparison.
    @inlinable @inline(__always)
    static func check(_ returnCode: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        guard returnCode == MDB_SUCCESS else {
            throw LMDBError(returnCode: returnCode, operation: operation())
        }
    }

    @usableFromInline
    init(returnCode: Int32, operation: String) {
        self.init(code: Self.code(for: returnCode), returnCode: returnCode, operation: operation)
    }

    private static func code(for returnCode: Int32) -> Code {
        switch returnCode {
        case MDB_NOTFOUND: .notFound
        case MDB_KEYEXIST: .keyExists
        case MDB_MAP_FULL: .mapFull
        case MDB_READERS_FULL: .readersFull
        case MDB_TXN_FULL: .transactionFull
        case MDB_DBS_FULL: .databasesFull
        case MDB_MAP_RESIZED: .mapResized
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND: .corrupted
        case MDB_PANIC: .panic
        case MDB_VERSION_MISMATCH: .versionMismatch
        case MDB_INVALID: .invalidFile
        case MDB_INCOMPATIBLE: .incompatible
        case MDB_BAD_TXN, MDB_BAD_RSLOT: .badTransaction
        case MDB_BAD_VALSIZE: .badValueSize
        case MDB_BAD_DBI: .badDatabase
        default: .system
        }
    }
}
