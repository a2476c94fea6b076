import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// The one place where what etcd (through its gateway) and the transport report becomes an
/// `EtcdError`.
extension EtcdError {
    /// gRPC status codes the gateway puts in its error bodies.
    private enum GRPCCode {
        static let invalidArgument = 3
        static let notFound = 5
        static let resourceExhausted = 8
        static let failedPrecondition = 9
        static let outOfRange = 11
        static let unavailable = 14
    }

    /// An answer other than 200 from `endpoint`.
    static func answered(status: UInt, body: ByteBuffer, endpoint: String) -> EtcdError {
        guard let error = try? JSONDecoder().decode(GatewayError.self, from: body) else {
            return EtcdError(.protocolViolation, "etcd at \(endpoint) answered HTTP \(status) with an unreadable body")
        }
        let message = "etcd at \(endpoint): \(error.message)"
        switch error.code {
        case GRPCCode.outOfRange where error.message.contains("compacted"):
            return EtcdError(.compacted, message)
        case GRPCCode.resourceExhausted where error.message.contains("space exceeded"):
            return EtcdError(.quotaExceeded, message)
        case GRPCCode.notFound where error.message.contains("lease"):
            return EtcdError(.leaseNotFound, message)
        case GRPCCode.invalidArgument, GRPCCode.failedPrecondition:
            return EtcdError(.invalidRequest, message)
        case GRPCCode.unavailable where notProposed.contains(where: error.message.contains):
            // Refused before it reached consensus: certainly not applied.
            return EtcdError(.unavailable, message)
        case GRPCCode.unavailable:
            // "request timed out", "leader changed": the proposal may still commit.
            return EtcdError(.outcomeUnknown, message)
        default:
            return EtcdError(.unavailable, message)
        }
    }

    /// Messages of requests refused before they were proposed.
    private static let notProposed = ["no leader", "not capable", "too many requests", "stopped"]

    /// Whether another member may be asked after this answer: a read always may, unless
    /// the answer is about the request itself (compacted, malformed, unknown lease, quota);
    /// a write only when it certainly was not applied.
    func mayTryAnotherMember(repeatable: EtcdClient.Repeatable) -> Bool {
        switch code {
        case .unavailable: true
        case .outcomeUnknown: repeatable == .yes
        default: false
        }
    }

    /// Whether `error` says no connection could be made, so nothing was sent.
    static func isConnectFailure(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return error == .connectTimeout || error == .getConnectionFromPoolTimeout
        }
        if error is NIOConnectionError { return true }
        // Not ECONNRESET: a connection reset may come after the request was written.
        if let error = error as? IOError { return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) }
        if case ChannelError.connectTimeout = error { return true }
        return false
    }
}
