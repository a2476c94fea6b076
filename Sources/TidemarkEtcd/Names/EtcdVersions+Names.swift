import Foundation
import TidemarkStore

extension EtcdVersions {
    /// §11's `register`: the stamp is judged against a linearizable state of the mirror,
    /// open intents included; a valid one stores the name in a Txn that holds only if no
    /// version it depends on moved since that state, an invalid one drops any earlier
    /// entry. Both put the head, so a check that starts after the answer sees them.
    public func register(
        _ name: String, stamp: Stamp, deps: [Dep], ttl: Milliseconds
    ) async throws(EtcdError) -> (registered: Bool, valid: Bool) {
        var unique: [Dep] = []
        var seen: Set<Dep> = []
        for dep in deps where seen.insert(dep).inserted { unique.append(dep) }
        let key = layout.name(name)
        for _ in 0..<Self.registerAttempts {
            let head = try await headRevision()
            let judged = try await mirror.read(reaching: head, timeout: mirrorTimeoutValue) { snapshot in
                (valid: validity(of: stamp, deps: unique, in: snapshot).isValid, at: snapshot.applied)
            }
            guard judged.valid else {
                _ = try await client.transaction(
                    EtcdTransaction(compare: [.present(key)], success: [.delete(key: key), .put(key: layout.head, value: [])]),
                    idempotent: true)
                return (false, false)
            }
            let stored = StoredName(lsn: stamp.lsn, deps: unique, expiresAt: LMDBStore.wallClock() + ttl, by: writer)
            let value: [UInt8]
            do {
                value = Array(try JSONEncoder().encode(stored))
            } catch {
                throw EtcdError(.invalidRequest, "cannot encode the name", cause: error)
            }
            let answer = try await client.transaction(
                EtcdTransaction(
                    compare: unchanged(since: judged.at, deps: unique),
                    success: [.put(key: key, value: value), .put(key: layout.head, value: [])]),
                idempotent: true)
            if answer.succeeded { return (true, true) }
            // A version moved after it was judged: judged again, from a newer state.
        }
        throw EtcdError(.unavailable, "a register lost \(Self.registerAttempts) races with writes; try it again")
    }

    /// How often `register` judges a stamp again after a write moved under it: with one
    /// comparison per version key it is judged invalid the second time, so only the
    /// head's comparison (for a very long dep list) can take more.
    static let registerAttempts = 5

    /// Comparisons that hold while nothing `deps` depend on was put after `revision`:
    /// each version key's, or, if they would not fit in one Txn, the head's (which every
    /// write and register puts; it may fail for an unrelated one, and is then retried).
    private func unchanged(since revision: Int64, deps: [Dep]) -> [EtcdComparison] {
        let keys = Array(Set(deps.flatMap(layout.versionKeys(of:))))
        guard keys.count <= Self.maxTransactionOperations else {
            return [EtcdComparison(key: layout.head, .less, .modRevision(revision + 1))]
        }
        return keys.map { EtcdComparison(key: $0, .less, .modRevision(revision + 1)) }
    }

    /// The names a write (or commit) at `lsn` dropped, for its answer. Waits for the
    /// mirror to apply that write only when it holds names at all, so fleets that do not
    /// use names pay nothing for them. (A mirror with no names that is behind may miss one
    /// registered through another server just before the write; the name is dropped all
    /// the same, and watchers are told.)
    public func droppedNames(at lsn: LSN) async -> [String] {
        let (reached, holdsNames) = mirror.readCurrent { ($0.holds >= Int64(lsn), !$0.names.live.isEmpty) }
        guard reached || holdsNames else { return [] }
        do {
            return try await mirror.dropped(at: Int64(lsn), timeout: mirrorTimeoutValue)
        } catch {
            logger.debug("the mirror did not reach a write in time to list its invalidated names", metadata: ["lsn": "\(lsn)"])
            return []
        }
    }

    /// Deletes the keys of names that a write dropped or that expired (by this server's
    /// clock). The server whose write dropped a name, or that registered an expired one,
    /// sweeps it; any other does once it has waited `sweepGrace` (that server may be
    /// gone). Each deletion compares the key's revision, so a name registered again
    /// meanwhile is kept.
    func sweepNames() async {
        let now = LMDBStore.wallClock()
        let writer = self.writer
        let due = mirror.updateNames { names -> [(name: String, revision: Int64)] in
            names.expire(now: now)
            return names.due(for: writer, grace: Self.sweepGrace)
        }
        var start = 0
        while start < due.count {
            let batch = Array(due[start..<min(start + Self.maxTransactionOperations, due.count)])
            start += batch.count
            if await delete(batch) { continue }
            // One was re-registered or is gone already: each on its own.
            for one in batch { _ = await delete([one]) }
        }
    }

    static let sweepGrace = Duration.seconds(2)

    /// Deletes the names if each still has its revision; whether the Txn held. Answered
    /// either way, they leave the sweep's list (a key that changed is the mirror's again).
    private func delete(_ names: [(name: String, revision: Int64)]) async -> Bool {
        do {
            let answer = try await client.transaction(
                EtcdTransaction(
                    compare: names.map { EtcdComparison(key: layout.name($0.name), .equal, .modRevision($0.revision)) },
                    success: names.map { .delete(key: layout.name($0.name)) }))
            if answer.succeeded || names.count == 1 {
                mirror.updateNames { $0.swept(Dictionary(names, uniquingKeysWith: max)) }
            }
            return answer.succeeded
        } catch {
            logger.debug("sweeping names failed", metadata: ["names": "\(names.count)", "error": "\(error.message)"])
            return true
        }
    }
}
