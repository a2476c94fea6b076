import NIOCore
import TidemarkProtocol

/// What handling one request produced: an answer now, or one that arrives when the
/// writer has made the mutation durable.
enum DispatchStep {
    case done(Result<JSONValue, RPCError>)
    case durable(EventLoopFuture<JSONValue>)
}
