import Foundation
import Synchronization
import TidemarkStore

/// This server's copy of the version keys under the prefix, fed by one etcd watch: what
/// checks are answered from. `applied` is the revision up to which it has every event;
/// a check waits until it has reached a linearizable head read, so it never answers from
/// older state than the cluster's at the check's start.
final class EtcdMirror: Sendable {
    struct Snapshot {
        /// etcd key -> `mod_revision`, for the table, wide and key version keys.
        var versions: [[UInt8]: Int64] = [:]
        /// `mod_revision` of the head key: the newest record's LSN.
        var head: Int64 = 0
        var applied: Int64 = 0
        /// Open intents, by id.
        var intents = PendingIntents()
        /// Ids whose lease key still exists: an open intent missing here has run out.
        var leases: Set<String> = []
    }

    private struct State {
        var snapshot = Snapshot()
        var loaded = false
        var waiters: [Int: (revision: Int64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())
    private let layout: EtcdLayout
    /// Where the records it sees go (watchers), in revision order.
    private let recordSink = Mutex<(@Sendable (RecordFeedEvent) -> Void)?>(nil)

    init(layout: EtcdLayout) {
        self.layout = layout
    }

    func deliverRecords(to sink: @escaping @Sendable (RecordFeedEvent) -> Void) {
        recordSink.withLock { $0 = sink }
    }

    /// Replaces everything with a full read made at `revision`. A reload (the watch could
    /// not go on) tells the record sink that records up to `revision` may have been missed.
    func load(_ keys: [EtcdKeyValue], at revision: Int64) {
        var snapshot = Snapshot()
        for kv in keys { record(kv, into: &snapshot) }
        snapshot.applied = revision
        var reloaded = false
        resumeReached { state in
            reloaded = state.loaded
            state.snapshot = snapshot
            state.loaded = true
        }
        if reloaded, let sink = recordSink.withLock({ $0 }) { sink(.restarted(after: LSN(revision))) }
    }

    /// Applies one watch message: its events, or (a progress report) how far it has seen.
    func apply(_ response: EtcdWatchResponse) {
        resumeReached { state in
            for event in response.events {
                switch event.kind {
                case .put: record(event.kv, into: &state.snapshot)
                case .delete: forget(event.kv.key, in: &state.snapshot)
                }
            }
            let seen = response.events.last?.kv.modRevision ?? response.header.revision
            state.snapshot.applied = max(state.snapshot.applied, seen)
        }
        // After the mirror holds them, so a watcher told of a record can check against it.
        guard let sink = recordSink.withLock({ $0 }) else { return }
        let records = response.events.compactMap { event -> Record? in
            guard event.kind == .put, event.kv.key.starts(with: layout.records) else { return nil }
            return StoredRecord.decode(event.kv)
        }
        if !records.isEmpty { sink(.records(records)) }
    }

    private func record(_ kv: EtcdKeyValue, into snapshot: inout Snapshot) {
        if kv.key == layout.head {
            snapshot.head = max(snapshot.head, kv.modRevision)
        } else if let id = Self.id(in: kv.key, after: layout.intents) {
            // Only this code writes intent keys, always in this form.
            if let intent = try? JSONDecoder().decode(StoredIntent.self, from: Data(kv.value)) {
                snapshot.intents.add(id, intent, revision: kv.modRevision)
            }
        } else if let id = Self.id(in: kv.key, after: layout.leases) {
            snapshot.leases.insert(id)
        } else if layout.isVersionKey(kv.key) {
            snapshot.versions[kv.key] = kv.modRevision
        }
    }

    /// Version keys are never deleted; intents and their lease keys are.
    private func forget(_ key: [UInt8], in snapshot: inout Snapshot) {
        if let id = Self.id(in: key, after: layout.intents) {
            snapshot.intents.remove(id)
        } else if let id = Self.id(in: key, after: layout.leases) {
            snapshot.leases.remove(id)
        }
    }

    private static func id(in key: [UInt8], after prefix: [UInt8]) -> String? {
        guard key.starts(with: prefix) else { return nil }
        return String(decoding: key[prefix.count...], as: UTF8.self)
    }

    private func resumeReached(_ change: (inout State) -> Void) {
        let reached = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            change(&state)
            guard state.loaded else { return [] }
            let applied = state.snapshot.applied
            let due = state.waiters.filter { $0.value.revision <= applied }
            due.keys.forEach { state.waiters[$0] = nil }
            return due.map(\.value.continuation)
        }
        reached.forEach { $0.resume() }
    }

    /// The mirror's state once it has every event up to `revision`; throws
    /// `unavailable` if it has not within `timeout` (its watch is behind or cut off).
    func snapshot(reaching revision: Int64, timeout: Duration) async throws(EtcdError) -> Snapshot {
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
        return state.withLock { $0.snapshot }
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
                    return .waiting
                }
                switch now {
                case .reached: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// What the mirror holds now, without waiting (serializable reads).
    var current: Snapshot { state.withLock { $0.snapshot } }
}
