import Synchronization

/// The committed transactions read from PostgreSQL and not yet sent to Tidemark, in
/// stream order: the reader appends, the writer takes as many as one batch holds.
///
/// Bounded, so a Tidemark that falls behind slows the reading of the stream (and
/// PostgreSQL keeps the WAL) instead of filling memory. One reader and one writer.
final class TransactionBacklog: Sendable {
    private struct State {
        var queued: [CapturedTransaction] = []
        var head = 0
        var finished = false
        var waitingWriter: CheckedContinuation<Void, Never>?
        var waitingReader: CheckedContinuation<Void, Never>?

        var count: Int { queued.count - head }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Queues `transaction`, waiting while `capacity` are queued. Dropped once finished.
    func append(_ transaction: CapturedTransaction) async {
        while true {
            let queued = state.withLock { state in
                guard !state.finished else { return true }
                guard state.count < capacity else { return false }
                state.queued.append(transaction)
                state.waitingWriter.take()?.resume()
                return true
            }
            if queued { return }
            await waitUntil { state in state.finished || state.count < self.capacity } park: { state, continuation in
                state.waitingReader = continuation
            }
        }
    }

    /// Moves the oldest queued transactions into `batch`, as many as join it, waiting
    /// until there is one. False once finished.
    func take(into batch: inout TransactionBatch) async -> Bool {
        while true {
            let taken = state.withLock { state -> Bool? in
                // What is still queued at the end is dropped: it was never confirmed to
                // PostgreSQL, which sends it again to the next session.
                if state.finished { return false }
                guard state.count > 0 else { return nil }
                while state.count > 0 && batch.add(state.queued[state.head]) { state.head += 1 }
                if state.head > 1024 && state.head * 2 > state.queued.count {
                    state.queued.removeFirst(state.head)
                    state.head = 0
                }
                state.waitingReader.take()?.resume()
                return true
            }
            if let taken { return taken }
            await waitUntil { state in state.finished || state.count > 0 } park: { state, continuation in
                state.waitingWriter = continuation
            }
        }
    }

    /// Ends the backlog: waits end, appends are dropped and takes return false.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.waitingWriter.take()?.resume()
            state.waitingReader.take()?.resume()
        }
    }

    /// Parks the caller until woken, unless `ready` already holds; cancellation finishes
    /// the backlog, which wakes everyone.
    private func waitUntil(
        _ ready: @escaping @Sendable (State) -> Bool,
        park: @escaping @Sendable (inout State, CheckedContinuation<Void, Never>) -> Void
    ) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if ready(state) { return true }
                    park(&state, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            finish()
        }
    }
}
