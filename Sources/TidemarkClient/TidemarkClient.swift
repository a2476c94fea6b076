import NIOCore
import NIOPosix
import Synchronization
import TidemarkProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An async client for one connection to a Tidemark server.
///
/// Safe to share: any number of tasks may call at once, and their requests are pipelined
/// on the one connection rather than queued behind each other's answers.
public final class TidemarkClient: Sendable {
    /// Longest answer line accepted. Far above the server's request limit because one
    /// `log` page can carry thousands of records.
    public static let defaultMaxResponseBytes = 256 << 20
    /// Answers nest records and their `meta` inside the result, deeper than requests may.
    static let maxResponseDepth = 512

    /// Server-to-client notifications (`watch.event`, …), in arrival order; finishes when
    /// the connection closes. Buffered without bound, so a client that watches should
    /// consume it. Has a single consumer, like every `AsyncStream`.
    public let notifications: AsyncStream<RPCNotification>

    private let channel: any Channel
    private let nextID = Atomic<Int64>(1)

    private init(channel: any Channel, notifications: AsyncStream<RPCNotification>) {
        self.channel = channel
        self.notifications = notifications
    }

    deinit {
        channel.close(promise: nil)
    }

    public static func connect(
        socketPath: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maxResponseBytes: Int = defaultMaxResponseBytes
    ) async throws(TidemarkClientError) -> TidemarkClient {
        let (stream, continuation) = AsyncStream.makeStream(of: RPCNotification.self)
        do {
            let channel = try await ClientBootstrap(group: eventLoopGroup)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLineBytes: maxResponseBytes)))
                        try channel.pipeline.syncOperations.addHandler(
                            ClientHandler(
                                notifications: continuation, maxLineBytes: maxResponseBytes,
                                maxDepth: maxResponseDepth))
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
            return TidemarkClient(channel: channel, notifications: stream)
        } catch {
            continuation.finish()
            let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
            throw TidemarkClientError(.connectionFailed, "cannot connect to \(socketPath): \(reason)", cause: error)
        }
    }

    /// Sends one request and waits for its answer. A JSON-RPC error answer is thrown as
    /// `.server` with the `RPCError`; a closed connection as `.connectionClosed`.
    /// Cancelling the task stops the wait (`.cancelled`) but not the request: it is already
    /// on its way, and a mutation may still take effect; its answer is then dropped.
    public func call(_ method: String, params: JSONValue? = nil) async throws(TidemarkClientError) -> JSONValue {
        guard !Task.isCancelled else {
            throw TidemarkClientError(.cancelled, "the call to \(method) was cancelled before it was sent")
        }
        let response = send(method, params: params)
        do {
            return try await withTaskCancellationHandler {
                try await response.promise.futureResult.get()
            } onCancel: {
                response.promise.fail(TidemarkClientError(.cancelled, "the call to \(method) was cancelled"))
            }
        } catch {
            throw PendingReply.clientError(error)
        }
    }

    /// A request already on its way and the answer to come.
    public struct PendingReply: Sendable {
        fileprivate let promise: EventLoopPromise<JSONValue>

        /// Waits for the answer; errors as for `call`.
        public func value() async throws(TidemarkClientError) -> JSONValue {
            do {
                return try await promise.futureResult.get()
            } catch {
                throw Self.clientError(error)
            }
        }

        /// Runs `body` once the answer (or the failure) has arrived.
        public func whenAnswered(_ body: @escaping @Sendable () -> Void) {
            promise.futureResult.whenComplete { _ in body() }
        }

        fileprivate static func clientError(_ error: any Error) -> TidemarkClientError {
            error as? TidemarkClientError
                ?? TidemarkClientError(.connectionClosed, "the connection to the server failed", cause: error)
        }
    }

    /// Sends one request without waiting for its answer. Requests sent one after another
    /// from one task reach the server in that order, so a relay can keep many writes in
    /// flight and still have them applied in its own order.
    public func send(_ method: String, params: JSONValue? = nil) -> PendingReply {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        var line = channel.allocator.buffer(capacity: 128)
        JSONWriter.write(RPCRequest(id: .number(id), method: method, params: params).json, into: &line)
        line.writeInteger(UInt8(ascii: "\n"))
        let response = channel.eventLoop.makePromise(of: JSONValue.self)
        // When the pipeline is already gone the handler never sees the call, so the write's
        // own failure must fail it; when the handler did see it, this second failure is a
        // no-op (a completed promise ignores later completions).
        channel.writeAndFlush(PendingCall(id: id, line: line, response: response)).whenFailure { error in
            response.fail(
                error as? TidemarkClientError
                    ?? TidemarkClientError(.connectionClosed, "the connection to the server is closed", cause: error))
        }
        return PendingReply(promise: response)
    }

    /// Closes the connection; calls still waiting fail with `.connectionClosed`.
    public func close() async {
        try? await channel.close()
    }
}
