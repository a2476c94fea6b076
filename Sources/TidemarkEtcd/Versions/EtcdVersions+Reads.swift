import TidemarkStore

extension EtcdVersions {
    /// Versions of `deps` and the newest LSN, from one state of the mirror.
    public func stamp(_ deps: [Dep], consistency: Consistency = .linearizable) async throws(EtcdError) -> StampResult {
        try await read(consistency) { snapshot in
            StampResult(
                epoch: epoch, lsn: LSN(snapshot.head), versions: deps.map { LSN(version(of: $0, in: snapshot)) },
                cacheable: !deps.contains { snapshot.intents.isPending($0) })
        }
    }

    /// Whether an entry stamped `stamp` with `deps` is still valid: the brief's rule
    /// (epoch, then future, then changed, then pending).
    public func check(_ stamp: Stamp, deps: [Dep], consistency: Consistency = .linearizable) async throws(EtcdError) -> Validity {
        try await check([(stamp, deps)], consistency: consistency)[0]
    }

    /// Each entry's validity, all from one state of the mirror.
    public func check(_ entries: [(stamp: Stamp, deps: [Dep])], consistency: Consistency = .linearizable) async throws(EtcdError) -> [Validity] {
        try await check(entries.map { CheckQuery.stamp($0.stamp, deps: $0.deps) }, consistency: consistency)
    }

    /// Each query's validity (by stamp or by name), all from one state of the mirror.
    public func check(_ queries: [CheckQuery], consistency: Consistency = .linearizable) async throws(EtcdError) -> [Validity] {
        let now = LMDBStore.wallClock()
        return try await read(consistency) { snapshot in
            queries.map { query in
                switch query {
                case .stamp(let stamp, let deps): validity(of: stamp, deps: deps, in: snapshot)
                case .name(let name): validity(ofName: name, in: snapshot, now: now)
                }
            }
        }
    }

    /// The newest LSN acknowledged before the call started (or, serializable, the mirror's).
    public func currentLSN(consistency: Consistency = .linearizable) async throws(EtcdError) -> LSN {
        try await read(consistency) { LSN($0.head) }
    }

    /// §11: a name no write dropped is judged by its stored stamp; one past its expiry is
    /// `expired` until swept. A name whose dep moved past its stamp is one a write dropped
    /// (the mirror drops it as it applies that write), so it reads `unknown` either way.
    private func validity(ofName name: String, in snapshot: borrowing EtcdMirror.Snapshot, now: Milliseconds) -> Validity {
        guard let entry = snapshot.names.live[name] else { return Validity(reason: .unknown) }
        guard entry.name.expiresAt > now else { return Validity(reason: .expired) }
        let validity = validity(
            of: Stamp(epoch: epoch, lsn: LSN(entry.name.lsn)), deps: entry.name.tidemarkDeps, in: snapshot)
        return validity.reason == .changed ? Validity(reason: .unknown) : validity
    }

    func validity(of stamp: Stamp, deps: [Dep], in snapshot: borrowing EtcdMirror.Snapshot) -> Validity {
        guard stamp.epoch == epoch else { return Validity(reason: .epoch) }
        guard stamp.lsn <= LSN(snapshot.head) else { return Validity(reason: .future) }
        let changed = deps.compactMap { dep -> VersionedDep? in
            let version = LSN(version(of: dep, in: snapshot))
            return version > stamp.lsn ? VersionedDep(dep: dep, version: version) : nil
        }
        let pending = deps.filter { snapshot.intents.isPending($0) }
        let reason: InvalidReason? = !changed.isEmpty ? .changed : (!pending.isEmpty ? .pending : nil)
        return reason == nil ? .valid : Validity(reason: reason, changed: changed, pending: pending)
    }

    /// `body` on the mirror: as it is (serializable), or once it has reached a
    /// linearizable read of the head that started after this call.
    func read<Result>(
        _ consistency: Consistency, _ body: (borrowing EtcdMirror.Snapshot) -> Result
    ) async throws(EtcdError) -> Result {
        switch consistency {
        case .serializable:
            return mirror.readCurrent(body)
        case .linearizable:
            let head = try await headRevision()
            return try await mirror.read(reaching: head, timeout: mirrorTimeoutValue, body)
        }
    }

    /// ver(dep): a table's last change; a key's last naming or its table's last wide change.
    private func version(of dep: Dep, in snapshot: borrowing EtcdMirror.Snapshot) -> Int64 {
        guard let key = dep.key else { return snapshot.versions[layout.table(dep.table)] ?? 0 }
        return max(snapshot.versions[layout.key(dep.table, key)] ?? 0, snapshot.versions[layout.wide(dep.table)] ?? 0)
    }
}
