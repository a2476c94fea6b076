import Foundation
import TidemarkStore

extension EtcdVersions {
    /// How a `commit` or `abort` ended.
    public enum Closing: Sendable, Equatable {
        case closed(LSN)
        /// The intent was not open: what is known of it.
        case notOpen(IntentState)
    }

    /// Opens an intent: its `i/<id>` key, its lease key and its `begin` record in one Txn.
    /// From that revision on, every server reads its deps as pending.
    ///
    /// The lease (the intent's, rounded up to whole seconds) is etcd's clock for it: when
    /// it runs out, etcd deletes the lease key and every server sees that and expires the
    /// intent, even if the server that began it is gone.
    public func begin(
        _ changes: [Change], lease: Milliseconds, meta: [UInt8]? = nil, peer: Peer? = nil
    ) async throws(EtcdError) -> (intent: String, lsn: LSN, expiresAt: Milliseconds) {
        guard !changes.isEmpty else { throw EtcdError(.invalidRequest, "an intent needs at least one change") }
        // Refused now rather than when it commits.
        _ = try versionKeys(of: changes)
        let granted = try await client.grantLease(seconds: Int64((lease + 999) / 1000))
        let id = Epoch.random().hex
        let expiresAt = LMDBStore.wallClock() + lease
        let intent = StoredIntent(
            changes: changes.map(StoredChange.init),
            meta: meta.map { String(decoding: $0, as: UTF8.self) }, pid: peer?.pid, uid: peer?.uid, gid: peer?.gid,
            expiresAt: expiresAt, lease: granted.id)
        let record = layout.record(writer: writer, sequence: nextSequence())
        let stored = StoredRecord(kind: .begin, intent: id, changes: intent.changes, meta: intent.meta, peer: peer)
        let answer = try await sendRecorded(
            record, stored, compare: [.absent(layout.intent(id))],
            operations: [
                .put(key: layout.intent(id), value: try Self.encode(intent)),
                .put(key: layout.lease(id), value: [], lease: granted.id),
            ])
        guard case .recorded(let lsn) = answer else {
            throw EtcdError(.protocolViolation, "a fresh intent id was already taken")
        }
        return (id, lsn, expiresAt)
    }

    /// Commits (advancing the intent's versions as a write would) or aborts an open
    /// intent. One arriving after the intent's `expires_at` expires it instead and
    /// answers `expired`, as on LMDB.
    public func close(_ id: String, committing: Bool, peer: Peer? = nil) async throws(EtcdError) -> Closing {
        try await close(id, as: committing ? .commit : .abort, peer: peer)
    }

    /// Ends intent `id` with a `kind` record (commit, abort or expire) in one Txn that
    /// compares the intent key's revision, so of any number of servers closing it at
    /// once exactly one records it.
    func close(_ id: String, as kind: RecordKind, peer: Peer?) async throws(EtcdError) -> Closing {
        let read = try await client.transaction(
            EtcdTransaction(success: [
                .range(EtcdRangeRequest(key: layout.intent(id))), .range(EtcdRangeRequest(key: layout.closed(id))),
            ]))
        guard case .range(let opened) = read.responses.first, case .range(let closed) = read.responses.last else {
            throw EtcdError(.protocolViolation, "an intent's read did not answer both ranges")
        }
        guard let kv = opened.kvs.first else { return .notOpen(Self.state(closed.kvs.first)) }
        let intent: StoredIntent
        do {
            intent = try JSONDecoder().decode(StoredIntent.self, from: Data(kv.value))
        } catch {
            throw EtcdError(.protocolViolation, "the intent key \(id) holds no intent", cause: error)
        }
        let late = kind != .expire && LMDBStore.wallClock() >= intent.expiresAt
        let recordedKind = late ? .expire : kind
        let closing = try await closeOpen(
            id, intent, revision: kv.modRevision, as: recordedKind, peer: recordedKind == .expire ? intent.peer : peer)
        return late && closing != .notOpen(.unknown) ? .notOpen(.expired) : closing
    }

    private func closeOpen(
        _ id: String, _ intent: StoredIntent, revision: Int64, as kind: RecordKind, peer: Peer?
    ) async throws(EtcdError) -> Closing {
        let state: IntentState = switch kind {
        case .commit: .committed
        case .abort: .aborted
        default: .expired
        }
        let advances = kind.advancesVersions
            ? (try versionKeys(of: intent.tidemarkChanges)).map { EtcdOperation.put(key: $0, value: []) } : []
        let record = layout.record(writer: writer, sequence: nextSequence())
        let stored = StoredRecord(kind: kind, intent: id, changes: intent.changes, meta: intent.meta, peer: peer)
        var retention = try await retentionLease()
        for attempt in 0..<2 {
            do throws(EtcdError) {
                let answer = try await sendRecorded(
                    record, stored, compare: [EtcdComparison(key: layout.intent(id), .equal, .modRevision(revision))],
                    operations: [
                        .delete(key: layout.intent(id)), .delete(key: layout.lease(id)),
                        .put(key: layout.closed(id), value: Array(state.rawValue.utf8), lease: retention),
                    ] + advances,
                    failure: [.range(EtcdRangeRequest(key: layout.closed(id)))])
                switch answer {
                case .recorded(let lsn):
                    // Its lease key is gone with the intent; the lease itself would run
                    // out by itself, holding etcd's lease table until then.
                    spentLeases.withLock { $0.append(intent.lease) }
                    return .closed(lsn)
                case .refused(let responses):
                    guard case .range(let closed) = responses.first else { return .notOpen(.unknown) }
                    return .notOpen(Self.state(closed.kvs.first))
                }
            } catch where error.code == .leaseNotFound && attempt == 0 {
                retention = try await retentionLease(replacing: retention)
            }
        }
        throw EtcdError(.leaseNotFound, "no lease could hold the closed intent's state")
    }

    /// Expires every open intent whose lease key etcd deleted or whose `expires_at` has
    /// passed. Every server runs this; the close's comparison makes one of them record it.
    func expireDueIntents() async {
        let now = LMDBStore.wallClock()
        let due = mirror.readCurrent { snapshot in
            snapshot.intents.open.filter { id, open in !snapshot.leases.contains(id) || open.intent.expiresAt <= now }
        }
        for (id, open) in due {
            do {
                _ = try await closeOpen(id, open.intent, revision: open.revision, as: .expire, peer: open.intent.peer)
            } catch {
                logger.debug("expiring an intent failed", metadata: ["intent": "\(id)", "error": "\(error.message)"])
            }
        }
    }

    /// Revokes the leases of intents this server closed. One etcd cannot revoke now is
    /// left to run out.
    func revokeSpentLeases() async {
        let spent = spentLeases.withLock { leases in
            defer { leases.removeAll() }
            return leases
        }
        for lease in spent {
            do {
                try await client.revokeLease(lease)
            } catch {
                logger.debug("revoking a closed intent's lease failed", metadata: ["lease": "\(lease)", "error": "\(error.message)"])
            }
        }
    }

    /// The lease closed intents' states are bound to: one per server, granted for 65
    /// minutes and replaced every 5, so a state is kept 60 to 65 minutes after its close.
    private func retentionLease(replacing stale: Int64? = nil) async throws(EtcdError) -> Int64 {
        let now = ContinuousClock.now
        let current = retention.withLock { held -> Int64? in
            guard let held, held.lease != stale, now - held.grantedAt < .seconds(300) else { return nil }
            return held.lease
        }
        if let current { return current }
        let granted = try await client.grantLease(seconds: 3_900)
        retention.withLock { $0 = (granted.id, now) }
        return granted.id
    }

    private static func state(_ closed: EtcdKeyValue?) -> IntentState {
        closed.flatMap { IntentState(rawValue: String(decoding: $0.value, as: UTF8.self)) } ?? .unknown
    }

    private static func encode(_ intent: StoredIntent) throws(EtcdError) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(intent))
        } catch {
            throw EtcdError(.invalidRequest, "cannot encode the intent", cause: error)
        }
    }
}

extension StoredIntent {
    var peer: Peer? {
        guard let pid, let uid else { return nil }
        return Peer(pid: pid, uid: uid, gid: gid ?? 0)
    }
}
