/// Every failure at the etcd boundary: an opaque code, a message for people and the
/// underlying cause. The code says what a caller may conclude, above all whether a write
/// may have been applied (`outcomeUnknown`) or certainly was not (`unavailable`).
public struct EtcdError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Kind: Hashable, Sendable {
            case unavailable, outcomeUnknown, compacted, quotaExceeded, leaseNotFound, invalidRequest,
                protocolViolation, configuration
        }

        fileprivate let kind: Kind

        /// No member could serve the request (all down, no quorum, no leader); nothing was
        /// applied.
        public static let unavailable = Code(kind: .unavailable)
        /// A request that changes state was sent but no answer came back (a timeout, a
        /// connection lost mid-request, a leader change): it may or may not have been
        /// applied. Callers make such requests idempotent and look.
        public static let outcomeUnknown = Code(kind: .outcomeUnknown)
        /// The revision asked for was compacted away.
        public static let compacted = Code(kind: .compacted)
        /// The cluster is over its storage quota (`mvcc: database space exceeded`): it
        /// refuses every write until an operator frees space and disarms the alarm.
        public static let quotaExceeded = Code(kind: .quotaExceeded)
        /// The lease does not exist (any more).
        public static let leaseNotFound = Code(kind: .leaseNotFound)
        /// etcd refused the request as malformed: a bug on this side.
        public static let invalidRequest = Code(kind: .invalidRequest)
        /// etcd answered with something this client cannot read.
        public static let protocolViolation = Code(kind: .protocolViolation)
        /// The endpoints given cannot be used (not `http://host:port`).
        public static let configuration = Code(kind: .configuration)

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

    public var description: String { message }
}
