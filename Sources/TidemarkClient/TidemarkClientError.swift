import TidemarkProtocol

/// Every failure at the client's boundary: an opaque code, a message for people, and the
/// underlying cause. A JSON-RPC error answer keeps the server's `RPCError`, so callers can
/// branch on its `code` and read its `data` (the field at fault, an intent's state, …).
public struct TidemarkClientError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: Hashable, Sendable {
            case server, connectionFailed, connectionClosed, invalidResponse, invalidArgument, cancelled
        }

        fileprivate let kind: Kind

        /// The server answered with a JSON-RPC error; see `rpcError`.
        public static let server = Code(kind: .server)
        /// The socket could not be connected to (no server, wrong path, permissions).
        public static let connectionFailed = Code(kind: .connectionFailed)
        /// The connection ended before the answer arrived, or was already closed.
        public static let connectionClosed = Code(kind: .connectionClosed)
        /// The server sent something that is not a well-formed answer.
        public static let invalidResponse = Code(kind: .invalidResponse)
        /// The calling task was cancelled while it waited; the request may still have
        /// taken effect on the server.
        public static let cancelled = Code(kind: .cancelled)
        /// A command-line argument (a CHANGE, a DEP, a size) could not be read.
        public static let invalidArgument = Code(kind: .invalidArgument)

        public var description: String { "\(kind)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?
    /// The server's error object, for `.server`.
    public var rpcError: RPCError?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil, rpcError: RPCError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.rpcError = rpcError
    }

    /// A JSON-RPC error answer.
    public static func server(_ error: RPCError) -> TidemarkClientError {
        TidemarkClientError(.server, error.message, cause: error, rpcError: error)
    }

    public var description: String {
        if let rpcError { return "\(message) (code \(rpcError.code))" }
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}

extension TidemarkClientError {
    /// A result that does not have the shape its method promises.
    static func invalidResponse(_ error: RPCError) -> TidemarkClientError {
        TidemarkClientError(.invalidResponse, error.message, cause: error)
    }

    static func invalidArgument(_ message: String) -> TidemarkClientError {
        TidemarkClientError(.invalidArgument, message)
    }
}
