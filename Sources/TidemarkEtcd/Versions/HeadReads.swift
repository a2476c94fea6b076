import Synchronization

/// Linearizable reads of the head key, shared: a caller that arrives while a read is in
/// flight does not use that read (it may have been served before the caller's moment, so
/// it could miss a write acknowledged just before), but joins the next one, which one of
/// the callers waiting for it makes for all of them. So a burst of checks costs about two
/// quorum reads, not one each (etcd's ReadIndex batching; Kubernetes' KEP-2340).
final class HeadReads: Sendable {
    private enum Turn {
        case lead
        case done(Result<Int64, EtcdError>)
    }

    private struct State {
        var reading = false
        /// Waiting for the read in flight (they arrived before it started).
        var followers: [CheckedContinuation<Turn, Never>] = []
        /// Arrived while it was in flight: they need the next one.
        var next: [CheckedContinuation<Turn, Never>] = []
    }

    private let state = Mutex(State())
    private let read: @Sendable () async throws(EtcdError) -> Int64

    /// `read` performs one linearizable read and returns the head's revision.
    init(_ read: @escaping @Sendable () async throws(EtcdError) -> Int64) {
        self.read = read
    }

    /// The head's revision from a read that started after this call did.
    func revision() async throws(EtcdError) -> Int64 {
        let leads = state.withLock { state in
            if state.reading { return false }
            state.reading = true
            return true
        }
        if !leads {
            let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
                let queued = state.withLock { state in
                    guard state.reading else {
                        state.reading = true
                        return false
                    }
                    state.next.append(continuation)
                    return true
                }
                if !queued { continuation.resume(returning: .lead) }
            }
            if case .done(let result) = turn { return try result.get() }
        }
        let result: Result<Int64, EtcdError>
        do {
            result = .success(try await read())
        } catch {
            result = .failure(error)
        }
        let (followers, nextLeader) = state.withLock { state -> ([CheckedContinuation<Turn, Never>], CheckedContinuation<Turn, Never>?) in
            let followers = state.followers
            guard let first = state.next.first else {
                state.reading = false
                state.followers = []
                return (followers, nil)
            }
            state.followers = Array(state.next.dropFirst())
            state.next = []
            return (followers, first)
        }
        followers.forEach { $0.resume(returning: .done(result)) }
        nextLeader?.resume(returning: .lead)
        return try result.get()
    }
}
