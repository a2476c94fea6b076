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
        /// How many table and key version keys there are (for `stats`).
        var tableCount = 0
        var keyCount = 0
        /// `mod_revision` of the head key: the newest record's LSN.
        var head: Int64 = 0
        /// The first LSN the log keeps (`compact` raises it).
        var oldest: LSN = 1
        var applied: Int64 = 0
        /// The newest revision whose events are in the state; `applied` reaches it once the
        /// record sink has been told of them.
        var holds: Int64 = 0
        /// Open intents, by id.
        var intents = PendingIntents()
        /// Ids whose lease key still exists: an open intent missing here has run out.
        var leases: Set<String> = []
        var names: MirroredNames

        init(layout: EtcdLayout) {
            names = MirroredNames(layout: layout)
        }
    }

    struct State {
        var snapshot: Snapshot
        var loaded = false
        /// The names each recent record dropped, for the writer that waits for its answer.
        var dropped = DroppedNames()
        var waiters: [Int: (revision: Int64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextWaiter = 0
        /// Since when a read has waited for a revision the mirror has not reached (nil
        /// while none waits), and when the watch last delivered anything.
        var behindSince: ContinuousClock.Instant?
        var lastDelivery = ContinuousClock.now
    }

    let state: Mutex<State>
    private let layout: EtcdLayout
    /// Where the records it sees go (watchers), in revision order.
    private let recordSink = Mutex<RecordSink?>(nil)

    /// The sink in a box: a closure kept in a `Mutex` is reabstracted at every `inout`
    /// access, so reading it out wrapped it in two more thunks per watch message, a chain
    /// every delivery walked (a quarter of a busy server's CPU, growing without end). A
    /// class reference is stored as it is.
    private final class RecordSink: Sendable {
        let deliver: @Sendable (RecordFeedEvent) -> Void
        init(_ deliver: @escaping @Sendable (RecordFeedEvent) -> Void) { self.deliver = deliver }
    }

    init(layout: EtcdLayout) {
        self.layout = layout
        state = Mutex(State(snapshot: Snapshot(layout: layout)))
    }

    func deliverRecords(to sink: @escaping @Sendable (RecordFeedEvent) -> Void) {
        recordSink.withLock { $0 = RecordSink(sink) }
    }

    /// Replaces everything with a full read made at `revision`. A reload (the watch could
    /// not go on) tells the record sink that records up to `revision` may have been missed.
    func load(_ keys: [EtcdKeyValue], at revision: Int64) {
        var snapshot = Snapshot(layout: layout)
        // Versions before names, so that a name a write already dropped is known dropped.
        let names = keys.filter { Self.name(in: $0.key, after: layout.names) != nil }
        for kv in keys where Self.name(in: kv.key, after: layout.names) == nil { record(kv, into: &snapshot) }
        for kv in names { record(kv, into: &snapshot) }
        snapshot.applied = revision
        snapshot.holds = revision
        var reloaded = false
        resumeReached { state in
            reloaded = state.loaded
            state.snapshot = snapshot
            state.loaded = true
        }
        if reloaded, let sink = recordSink.withLock({ $0 }) { sink.deliver(.restarted(after: LSN(revision))) }
    }

    /// Applies one watch message: its events, or (a progress report) how far it has seen.
    /// Events come in revision order; each revision is one Txn, applied whole before the
    /// names its version puts drop are worked out.
    func apply(_ response: EtcdWatchResponse) {
        let committed = state.withLock { state -> [CommittedRecord] in
            state.lastDelivery = .now
            var committed: [CommittedRecord] = []
            var start = response.events.startIndex
            while start < response.events.endIndex {
                let revision = response.events[start].kv.modRevision
                let end = response.events[start...].firstIndex { $0.kv.modRevision != revision } ?? response.events.endIndex
                committed += apply(response.events[start..<end], to: &state)
                start = end
            }
            state.snapshot.holds = max(state.snapshot.holds, response.events.last?.kv.modRevision ?? 0)
            return committed
        }
        // Told after the mirror holds them, so a watcher told of a record can check
        // against it, and before `applied` reaches them, so that a read which waited for
        // them finds them counted (the server's activity counters) and published.
        if !committed.isEmpty, let sink = recordSink.withLock({ $0 }) { sink.deliver(.records(committed)) }
        resumeReached { state in
            let seen = response.events.last?.kv.modRevision ?? response.header.revision
            state.snapshot.applied = max(state.snapshot.applied, seen)
        }
    }

    /// One revision's events; its record (if it put one) with the names it dropped.
    private func apply(_ events: ArraySlice<EtcdEvent>, to state: inout State) -> [CommittedRecord] {
        var dropped: [String] = []
        var records: [Record] = []
        // The server whose write this revision is (its record key names it) sweeps the
        // names it drops.
        let writer = events.lazy.compactMap { self.layout.writer(ofRecord: $0.kv.key) }.first
        for event in events {
            switch event.kind {
            case .put:
                record(event.kv, into: &state.snapshot)
                if layout.isVersionKey(event.kv.key) {
                    dropped += state.snapshot.names.advance(event.kv.key, at: event.kv.modRevision, by: writer)
                } else if event.kv.key.starts(with: layout.records), let decoded = StoredRecord.decode(event.kv) {
                    records.append(decoded)
                }
            case .delete:
                forget(event.kv.key, in: &state.snapshot)
            }
        }
        dropped = Array(Set(dropped)).sorted()
        if let revision = events.first?.kv.modRevision, !dropped.isEmpty { state.dropped.add(dropped, at: revision) }
        return records.map { CommittedRecord(record: $0, invalidated: dropped) }
    }

    private func record(_ kv: EtcdKeyValue, into snapshot: inout Snapshot) {
        if kv.key == layout.head {
            snapshot.head = max(snapshot.head, kv.modRevision)
        } else if kv.key == layout.oldest {
            snapshot.oldest = max(snapshot.oldest, EtcdVersions.decodePosition(kv.value) ?? 1)
        } else if let id = Self.id(in: kv.key, after: layout.intents) {
            // Only this code writes intent keys, always in this form.
            if let intent = try? JSONDecoder().decode(StoredIntent.self, from: Data(kv.value)) {
                snapshot.intents.add(id, intent, revision: kv.modRevision)
            }
        } else if let id = Self.id(in: kv.key, after: layout.leases) {
            snapshot.leases.insert(id)
        } else if let name = Self.name(in: kv.key, after: layout.names) {
            // Only this code writes name keys, always in this form.
            if let stored = try? JSONDecoder().decode(StoredName.self, from: Data(kv.value)) {
                snapshot.names.put(name, stored, revision: kv.modRevision, versions: snapshot.versions)
            }
        } else if layout.isVersionKey(kv.key) {
            if snapshot.versions.updateValue(kv.modRevision, forKey: kv.key) == nil {
                switch kv.key[layout.prefix.count] {
                case UInt8(ascii: "t"): snapshot.tableCount += 1
                case UInt8(ascii: "k"): snapshot.keyCount += 1
                default: break
                }
            }
        }
    }

    /// Version keys are never deleted; intents, their lease keys and names are.
    private func forget(_ key: [UInt8], in snapshot: inout Snapshot) {
        if let id = Self.id(in: key, after: layout.intents) {
            snapshot.intents.remove(id)
        } else if let id = Self.id(in: key, after: layout.leases) {
            snapshot.leases.remove(id)
        } else if let name = Self.name(in: key, after: layout.names) {
            snapshot.names.delete(name)
        }
    }

    /// A name's bytes are the client's and may be any UTF-8: decoded strictly.
    private static func name(in key: [UInt8], after prefix: [UInt8]) -> String? {
        guard key.starts(with: prefix) else { return nil }
        return String(validating: key[prefix.count...], as: UTF8.self)
    }

    private static func id(in key: [UInt8], after prefix: [UInt8]) -> String? {
        guard key.starts(with: prefix) else { return nil }
        return String(decoding: key[prefix.count...], as: UTF8.self)
    }
}
