import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import TidemarkStore

/// The single writer. Mutations from every connection queue here; one dedicated thread
/// takes everything queued, applies it as one store transaction (one fsync), then answers
/// each mutation. While a commit is in flight the next batch gathers, so under load many
/// writes share one fsync without any of them waiting for a timer.
public final class GroupCommitWriter: Service, @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let store: any VersionStore
    private let logger: Logger
    private let maxBatch: Int
    private let maxQueued: Int
    private let onCommit: @Sendable ([CommittedRecord]) -> Void
    private let onBatchTimed: (@Sendable (_ size: Int, _ nanoseconds: Int64) -> Void)?

    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var state = State.idle
    private var finished: CheckedContinuation<Void, Never>?
    private var applied = Counters()

    private enum State {
        case idle
        case running
        /// Taking no new mutations; the thread drains the queue and exits.
        case draining
        case stopped
    }

    private struct Pending {
        var request: MutationRequest
        var promise: EventLoopPromise<MutationOutcome>
    }

    /// Batches and mutations applied, for `stats`: their ratio is how many writes shared
    /// each fsync.
    public struct Counters: Sendable, Hashable {
        public var batches = 0
        public var mutations = 0
        public var queued = 0
    }

    public init(
        store: any VersionStore, logger: Logger, maxBatch: Int = 4096, maxQueued: Int = 100_000,
        onCommit: @escaping @Sendable ([CommittedRecord]) -> Void = { _ in },
        onBatchTimed: (@Sendable (_ size: Int, _ nanoseconds: Int64) -> Void)? = nil
    ) {
        self.store = store
        self.logger = logger
        self.maxBatch = maxBatch
        self.maxQueued = maxQueued
        self.onCommit = onCommit
        self.onBatchTimed = onBatchTimed
    }

    /// Queues `request`; `promise` is fulfilled once its batch is durable, or failed with
    /// a `StoreError` or a `WriterRejection`.
    public func submit(_ request: MutationRequest, promise: EventLoopPromise<MutationOutcome>) {
        condition.lock()
        let rejection: WriterRejection? =
            switch state {
            case .idle, .running: queue.count >= maxQueued ? .overloaded : nil
            case .draining, .stopped: .shuttingDown
            }
        if rejection == nil {
            queue.append(Pending(request: request, promise: promise))
            condition.signal()
        }
        condition.unlock()
        if let rejection { promise.fail(rejection) }
    }

    public var counters: Counters {
        withLock {
            var snapshot = applied
            snapshot.queued = queue.count
            return snapshot
        }
    }

    public func run() async throws {
        withLock {
            precondition(state == .idle, "a GroupCommitWriter runs once")
            state = .running
        }
        let thread = Thread { [self] in self.writeLoop() }
        thread.name = "tidemark-writer"
        thread.start()
        // Cancellation (the group stopping because another service failed, e.g. the
        // socket is already served) must end the writer too, or startup errors hang.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { continuation in
                    let alreadyStopped = withLock {
                        if state == .stopped { return true }
                        finished = continuation
                        return false
                    }
                    if alreadyStopped { continuation.resume() }
                }
            } onGracefulShutdown: {
                self.beginDraining()
            }
        } onCancel: {
            self.beginDraining()
        }
    }

    private func beginDraining() {
        withLock {
            if state == .running { state = .draining }
            condition.signal()
        }
    }

    private func withLock<Result>(_ body: () -> Result) -> Result {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    private func writeLoop() {
        while let batch = nextBatch() { commit(batch) }
        let continuation = withLock {
            state = .stopped
            defer { finished = nil }
            return finished
        }
        continuation?.resume()
    }

    /// One transaction for the whole batch. When it does not fit in the map, each request
    /// is tried alone, in order: a small one (a `compact` that would free space) must not
    /// fail because a large one happened to share its transaction.
    private func commit(_ batch: [Pending]) {
        let requests = batch.map(\.request)
        do {
            let started = onBatchTimed == nil ? nil : NIODeadline.now()
            let result = try store.apply(requests)
            if let started, let onBatchTimed {
                onBatchTimed(batch.count, (NIODeadline.now() - started).nanoseconds)
            }
            withLock {
                applied.batches += 1
                applied.mutations += batch.count { !$0.request.mutation.isMaintenance }
            }
            // Watchers first: a connection that sees its write answered and then
            // starts a watch must find that write already published.
            if !result.records.isEmpty { onCommit(result.records) }
            for (pending, outcome) in zip(batch, result.outcomes) {
                pending.promise.completeWith(outcome.mapError { $0 as any Error })
            }
        } catch where error.code == .storageFull && batch.count > 1 {
            for pending in batch { commit([pending]) }
        } catch {
            logger.error("write batch failed", metadata: ["error": "\(error)", "mutations": "\(batch.count)"])
            for pending in batch { pending.promise.fail(error) }
        }
    }

    /// Waits for work; nil once draining has emptied the queue.
    private func nextBatch() -> [Pending]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty {
            if state != .running { return nil }
            condition.wait()
        }
        let count = min(queue.count, maxBatch)
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }
}
