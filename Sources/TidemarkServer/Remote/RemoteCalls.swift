import NIOCore
import ServiceLifecycle

/// Runs the calls that wait on a remote store, each as a child task of this service, and
/// completes their promises (on the connection's event loop). Started before the listener
/// and stopped after it, so every call a connection made is answered first.
final class RemoteCalls: Service, Sendable {
    private struct Call: Sendable {
        let run: @Sendable () async -> Void
    }

    private let calls: AsyncStream<Call>
    private let continuation: AsyncStream<Call>.Continuation

    init() {
        (calls, continuation) = AsyncStream.makeStream(of: Call.self)
    }

    /// Runs `work` and answers with what it returns; once this service is stopping, fails
    /// with `WriterRejection.shuttingDown` without running it.
    func submit<Value: Sendable>(
        on eventLoop: any EventLoop, _ work: @escaping @Sendable () async throws -> Value
    ) -> EventLoopFuture<Value> {
        let promise = eventLoop.makePromise(of: Value.self)
        let call = Call {
            do {
                promise.succeed(try await work())
            } catch {
                promise.fail(error)
            }
        }
        if case .terminated = continuation.yield(call) {
            promise.fail(WriterRejection.shuttingDown)
        }
        return promise.futureResult
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await call in calls {
                    group.addTask { await call.run() }
                }
            }
        } onGracefulShutdown: {
            // The calls already running finish (the group waits for them); later ones are
            // refused.
            self.continuation.finish()
        }
    }
}
