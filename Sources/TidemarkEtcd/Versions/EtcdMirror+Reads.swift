import Synchronization
import TidemarkStore

/// Reading the mirror: in place under its lock, now or once it has reached a revision,
/// and knowing when its watch has stalled.
extension EtcdMirror {
    func resumeReached(_ change: (inout State) -> Void) {
        let reached = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            change(&state)
            guard state.loaded else { return [] }
            let applied = state.snapshot.applied
            let due = state.waiters.filter { $0.value.revision <= applied }
            due.keys.forEach { state.waiters[$0] = nil }
            if state.waiters.isEmpty { state.behindSince = nil }
            return due.map(\.value.continuation)
        }
        reached.forEach { $0.resume() }
    }

    /// `body` on the mirror's state once it has every event up to `revision`; throws
    /// `unavailable` if it has not within `timeout` (its watch is behind or cut off).
    func read<Result>(
        reaching revision: Int64, timeout: Duration, _ body: (borrowing Snapshot) -> Result
    ) async throws(EtcdError) -> Result {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.wait(for: revision) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw EtcdError(.unavailable, "the watch of this server has not reached etcd's revision \(revision) after \(timeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as EtcdError {
            throw error
        } catch {
            throw EtcdError(.unavailable, "cancelled while waiting for the watch to reach revision \(revision)", cause: error)
        }
        return readCurrent(body)
    }

    /// `body` on what the mirror holds now, without waiting (serializable reads). Read in
    /// place, under the lock: a copy kept past the next event would copy every table.
    func readCurrent<Result>(_ body: (borrowing Snapshot) -> Result) -> Result {
        state.withLock { body($0.snapshot) }
    }

    /// Changes the names under the lock (the sweep's expiry and deletions).
    func updateNames<Result>(_ change: (inout MirroredNames) -> Result) -> Result {
        state.withLock { change(&$0.snapshot.names) }
    }

    /// The names the record at `revision` dropped, once the mirror holds it.
    func dropped(at revision: Int64, timeout: Duration) async throws(EtcdError) -> [String] {
        if let known = state.withLock({ $0.snapshot.holds >= revision ? $0.dropped.names(at: revision) : nil }) {
            return known
        }
        _ = try await read(reaching: revision, timeout: timeout) { _ in () }
        return state.withLock { $0.dropped.names(at: revision) }
    }

    private func wait(for revision: Int64) async throws {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Now { case reached, cancelled, waiting }
                let now = state.withLock { state -> Now in
                    if state.loaded && state.snapshot.applied >= revision { return .reached }
                    if Task.isCancelled { return .cancelled }
                    state.waiters[id] = (revision, continuation)
                    state.behindSince = state.behindSince ?? .now
                    return .waiting
                }
                switch now {
                case .reached: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let waiter = state.waiters.removeValue(forKey: id)
                if state.waiters.isEmpty { state.behindSince = nil }
                return waiter
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Whether the watch has stalled: for `threshold` a read has waited for a revision a
    /// quorum read proved exists, and the watch delivered nothing. Its member is then cut
    /// off from the quorum (its stream stays open, its clients still reach it) or stuck.
    func isStalled(for threshold: Duration) -> Bool {
        state.withLock { state in
            guard let since = state.behindSince else { return false }
            let now = ContinuousClock.now
            return now - since >= threshold && now - state.lastDelivery >= threshold
        }
    }
}
