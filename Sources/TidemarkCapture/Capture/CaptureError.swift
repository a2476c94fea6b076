/// Every failure at the capture's boundary: an opaque code, a message for people and the
/// underlying cause. `isRetryable` decides whether the capture reconnects or stops.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: Hashable, Sendable {
            case configuration, authentication, connection, server, protocolViolation, tidemark
        }

        fileprivate let kind: Kind

        /// The DSN, the database's settings or the slot/publication are not usable as they
        /// are (`wal_level`, a slot of another plugin, TLS required, …). Not retried.
        public static let configuration = Code(kind: .configuration)
        /// PostgreSQL refused the credentials. Not retried.
        public static let authentication = Code(kind: .authentication)
        /// A connection to PostgreSQL or Tidemark could not be made or broke. Retried.
        public static let connection = Code(kind: .connection)
        /// PostgreSQL answered with an error; `sqlState` says which.
        public static let server = Code(kind: .server)
        /// PostgreSQL sent something this client does not understand. Retried.
        public static let protocolViolation = Code(kind: .protocolViolation)
        /// Tidemark refused a write or a read.
        public static let tidemark = Code(kind: .tidemark)

        public var description: String { "\(kind)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?
    /// For `.server`: PostgreSQL's SQLSTATE (e.g. `55006`, object in use).
    public var sqlState: String?
    /// Whether reconnecting may help. False for what an operator has to fix.
    public var isRetryable: Bool

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil, sqlState: String? = nil, isRetryable: Bool? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.sqlState = sqlState
        self.isRetryable = isRetryable ?? Self.defaultRetryable(code, sqlState: sqlState)
    }

    public var description: String { message }

    /// Privileges, authentication and invalid names are for the operator; everything else
    /// (a shutdown, a restart, a slot still held by a dying walsender) passes.
    private static func defaultRetryable(_ code: Code, sqlState: String?) -> Bool {
        switch code {
        case .configuration, .authentication: return false
        case .server:
            guard let sqlState else { return true }
            // 28: invalid authorization; 42: syntax error or access rule violation (42501
            // insufficient privilege, 42704 undefined object); 3D: invalid catalog name.
            return !(sqlState.hasPrefix("28") || sqlState.hasPrefix("42") || sqlState.hasPrefix("3D"))
        default: return true
        }
    }
}
