import TidemarkStore

/// Every failure of a local reader: an opaque code, a message for people, the cause.
public struct LocalReaderError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: Hashable, Sendable {
            case notAllowed, unavailable, unsupportedFormat, invalidArgument, corrupted, io
        }

        fileprivate let kind: Kind

        /// The server does not allow local reading of this directory (no `serve
        /// --local-readers`), or this user is not in its group.
        public static let notAllowed = Code(kind: .notAllowed)
        /// No data file there (the directory is gone, or a server is still creating it);
        /// trying again later may succeed. Never answered as "valid".
        public static let unavailable = Code(kind: .unavailable)
        /// The data file's format version is not one this reader knows.
        public static let unsupportedFormat = Code(kind: .unsupportedFormat)
        /// A request outside the limits (an empty or too long table, key or name); `field`
        /// names it as the server would (`deps[1].key`).
        public static let invalidArgument = Code(kind: .invalidArgument)
        /// The data file cannot be decoded.
        public static let corrupted = Code(kind: .corrupted)
        /// Any other failure of LMDB or the file system.
        public static let io = Code(kind: .io)

        public var description: String { "\(kind)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?
    /// For `invalidArgument`: the request field at fault.
    public var field: String?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil, field: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.field = field
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }

    /// The one place where the store's errors become the reader's.
    init(_ error: StoreError, path: String) {
        switch error.code {
        case .invalidArgument:
            self.init(.invalidArgument, error.message, cause: error, field: error.field)
        case .unsupportedFormat:
            self.init(.unsupportedFormat, "\(path): \(error.message)", cause: error)
        case .corrupted:
            self.init(.corrupted, "\(path): \(error.message)", cause: error)
        default:
            self.init(.io, "\(path): \(error.message)", cause: error)
        }
    }
}
