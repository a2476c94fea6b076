/// Every failure at the store's boundary: an opaque code, a message for people, and the
/// underlying cause. Details that the wire needs (the state of an intent, the oldest
/// retained record, the offending field) travel beside the code.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: Hashable, Sendable {
            case invalidArgument, storageFull, unknownIntent, compacted, locked, unsafeDirectory, sourceOutOfOrder
            case corrupted, io
            case unsupportedFormat
            case unavailable, unsupported
        }

        fileprivate let kind: Kind

        /// The request breaks a rule of the store (an empty or too long name, …).
        public static let invalidArgument = Code(kind: .invalidArgument)
        /// The data file reached its size limit; the transaction wrote nothing.
        public static let storageFull = Code(kind: .storageFull)
        /// `commit`/`abort` of an intent that is not open; see `intentState`.
        public static let unknownIntent = Code(kind: .unknownIntent)
        /// The records asked for were removed by compaction; see `oldest`.
        public static let compacted = Code(kind: .compacted)
        /// A `sourcedWrite` whose `after` is not the source's recorded position; see
        /// `sourcePosition`.
        public static let sourceOutOfOrder = Code(kind: .sourceOutOfOrder)
        /// Another process holds the data directory.
        public static let locked = Code(kind: .locked)
        /// The data directory is writable by other users.
        public static let unsafeDirectory = Code(kind: .unsafeDirectory)
        /// Stored bytes that cannot be decoded.
        public static let corrupted = Code(kind: .corrupted)
        /// The data file's format version is not one this build knows.
        public static let unsupportedFormat = Code(kind: .unsupportedFormat)
        /// A remote backend cannot answer now (no quorum, no member reachable, or a write
        /// not acknowledged in time, which may still have been applied).
        public static let unavailable = Code(kind: .unavailable)
        /// The backend does not offer this operation.
        public static let unsupported = Code(kind: .unsupported)
        /// Any other failure of the storage engine or the file system.
        public static let io = Code(kind: .io)

        public var description: String { "\(kind)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?
    /// For `invalidArgument`: the request field at fault, e.g. `changes[0].table`.
    public var field: String?
    /// For `unknownIntent`.
    public var intentState: IntentState?
    /// For `compacted`.
    public var oldest: LSN?
    /// For `sourceOutOfOrder`: the source's recorded position.
    public var sourcePosition: UInt64?

    public init(
        _ code: Code, _ message: String, cause: (any Error)? = nil,
        field: String? = nil, intentState: IntentState? = nil, oldest: LSN? = nil
    ) {
        self.code = code
        self.message = message
        self.cause = cause
        self.field = field
        self.intentState = intentState
        self.oldest = oldest
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }
}
