/// Why the server could not start or keep serving.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: Hashable, Sendable { case socketInUse, socketPath, bind }
        fileprivate let kind: Kind

        /// Another server answers on the socket path.
        public static let socketInUse = Code(kind: .socketInUse)
        /// The path exists and is not a socket, or cannot be used.
        public static let socketPath = Code(kind: .socketPath)
        public static let bind = Code(kind: .bind)

        public var description: String { "\(kind)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message) (\($0))" } ?? message
    }
}
