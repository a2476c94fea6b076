import TidemarkStore

extension EtcdVersions {
    /// Versions of `deps` and the newest LSN, from one state of the mirror.
    public func stamp(_ deps: [Dep], consistency: Consistency = .linearizable) async throws(EtcdError) -> StampResult {
        let snapshot = try await snapshot(consistency)
        return StampResult(
            epoch: epoch, lsn: LSN(snapshot.head), versions: deps.map { LSN(version(of: $0, in: snapshot)) },
            cacheable: !deps.contains { snapshot.intents.isPending($0) })
    }

    /// Whether an entry stamped `stamp` with `deps` is still valid: the brief's rule
    /// (epoch, then future, then changed, then pending).
    public func check(_ stamp: Stamp, deps: [Dep], consistency: Consistency = .linearizable) async throws(EtcdError) -> Validity {
        try await check([(stamp, deps)], consistency: consistency)[0]
    }

    /// Each entry's validity, all from one state of the mirror.
    public func check(_ entries: [(stamp: Stamp, deps: [Dep])], consistency: Consistency = .linearizable) async throws(EtcdError) -> [Validity] {
        let snapshot = try await snapshot(consistency)
        return entries.map { validity(of: $0.stamp, deps: $0.deps, in: snapshot) }
    }

    /// The newest LSN acknowledged before the call started (or, serializable, the mirror's).
    public func currentLSN(consistency: Consistency = .linearizable) async throws(EtcdError) -> LSN {
        LSN(try await snapshot(consistency).head)
    }

    private func validity(of stamp: Stamp, deps: [Dep], in snapshot: EtcdMirror.Snapshot) -> Validity {
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

    private func snapshot(_ consistency: Consistency) async throws(EtcdError) -> EtcdMirror.Snapshot {
        switch consistency {
        case .serializable:
            return mirror.current
        case .linearizable:
            let head = try await headRevision()
            return try await mirror.snapshot(reaching: head, timeout: mirrorTimeoutValue)
        }
    }

    /// ver(dep): a table's last change; a key's last naming or its table's last wide change.
    private func version(of dep: Dep, in snapshot: EtcdMirror.Snapshot) -> Int64 {
        guard let key = dep.key else { return snapshot.versions[layout.table(dep.table)] ?? 0 }
        return max(snapshot.versions[layout.key(dep.table, key)] ?? 0, snapshot.versions[layout.wide(dep.table)] ?? 0)
    }
}
