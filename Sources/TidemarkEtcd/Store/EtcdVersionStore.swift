import TidemarkStore

/// `EtcdVersions` behind the server's `RemoteVersionStore` seam (`serve --backend etcd`).
///
/// It offers what the versions core does: `write` (without `source`), `stamp`, `check`
/// by stamp, `begin`/`commit`/`abort`, `log`, `watch` and sourced writes. Names, sourced writes and compaction are not
/// built on etcd yet and fail with `unsupported` (-32601), so a client learns it at once
/// instead of getting an answer the backend cannot stand behind.
public final class EtcdVersionStore: RemoteVersionStore {
    public let versions: EtcdVersions
    public let consistency: EtcdVersions.Consistency
    public let limits = StoreLimits()

    public init(_ versions: EtcdVersions, consistency: EtcdVersions.Consistency = .linearizable) {
        self.versions = versions
        self.consistency = consistency
    }

    public var backend: String { "etcd" }
    public var epoch: Epoch { versions.epoch }

    public func currentLSN() async throws(StoreError) -> LSN {
        do {
            return try await versions.currentLSN(consistency: consistency)
        } catch {
            throw StoreError(etcd: error)
        }
    }

    public func stamp(_ deps: [Dep]) async throws(StoreError) -> StampResult {
        try limits.validate(deps, field: "deps")
        do {
            // A stamp is always linearizable: one older than an acknowledged write would
            // let an entry filled after that write pass for current.
            return try await versions.stamp(deps, consistency: .linearizable)
        } catch {
            throw StoreError(etcd: error)
        }
    }

    public func check(_ queries: [CheckQuery]) async throws(StoreError) -> [Validity] {
        try limits.validate(queries)
        let entries = try queries.map { query throws(StoreError) -> (stamp: Stamp, deps: [Dep]) in
            guard case .stamp(let stamp, let deps) = query else {
                throw StoreError(.unsupported, "check by name is not supported by the \(backend) backend yet")
            }
            return (stamp, deps)
        }
        do {
            return try await versions.check(entries, consistency: consistency)
        } catch {
            throw StoreError(etcd: error)
        }
    }

    public func sourcePosition(_ name: String) async throws(StoreError) -> UInt64 {
        try limits.validate(name: name, field: "name")
        do {
            return try await versions.sourcePosition(name)
        } catch {
            throw StoreError(etcd: error)
        }
    }

    /// Nothing is compacted on etcd yet: the log holds every record.
    public var oldest: LSN { 1 }

    public func deliverRecords(to sink: @escaping @Sendable (RecordFeedEvent) -> Void) -> LSN {
        versions.deliverRecords(to: sink)
    }

    public func log(_ query: LogQuery) async throws(StoreError) -> LogPage {
        // As on LMDB, a position below the oldest record names nothing that is kept.
        if let from = query.from, from < oldest {
            throw StoreLimits.compacted(below: oldest)
        }
        do {
            return try await versions.log(from: query.from, limit: query.limit, tables: query.tables)
        } catch {
            throw StoreError(etcd: error)
        }
    }

    public func apply(_ request: MutationRequest) async throws(StoreError) -> MutationOutcome {
        do {
            switch request.mutation {
            case .write(let changes, let meta):
                try validate(changes)
                let lsn = try await versions.write(changes, meta: meta, peer: request.peer)
                return .written(lsn: lsn, invalidated: [])
            case .sourcedWrite(let changes, let meta, let source):
                try validate(changes)
                try limits.validate(source)
                switch try await versions.write(changes, meta: meta, peer: request.peer, source: source) {
                case .written(let lsn):
                    return .written(lsn: lsn, invalidated: [])
                case .duplicate(let lsn, let position):
                    return .duplicate(lsn: lsn, position: position)
                case .outOfOrder(let recorded):
                    throw StoreLimits.outOfOrder(source, recorded: recorded)
                }
            case .begin(let changes, let lease, let meta):
                try validate(changes)
                let begun = try await versions.begin(changes, lease: lease, meta: meta, peer: request.peer)
                return .begun(intent: begun.intent, lsn: begun.lsn, expiresAt: begun.expiresAt)
            case .commit(let id), .abort(let id):
                let committing = if case .commit = request.mutation { true } else { false }
                switch try await versions.close(id, committing: committing, peer: request.peer) {
                case .closed(let lsn):
                    return committing ? .written(lsn: lsn, invalidated: []) : .aborted(lsn: lsn)
                case .notOpen(let state):
                    throw StoreError(
                        .unknownIntent, state == .unknown ? "no such intent" : "the intent is already \(state.rawValue)",
                        intentState: state)
                }
            default:
                throw StoreError(.unsupported, "\(Self.name(of: request.mutation)) is not supported by the \(backend) backend yet")
            }
        } catch let error as EtcdError {
            throw StoreError(etcd: error)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "\(error)", cause: error)
        }
    }

    private func validate(_ changes: [Change]) throws(StoreError) {
        try limits.validate(changes, field: "changes")
        guard Set(changes.map(\.table)).count <= EtcdVersions.maxTables else {
            throw StoreError(
                .invalidArgument, "names more than \(EtcdVersions.maxTables) tables, the most one etcd transaction holds",
                field: "changes")
        }
    }

    private static func name(of mutation: Mutation) -> String {
        switch mutation {
        case .write: "write"
        case .sourcedWrite: "write with source"
        case .begin: "begin"
        case .commit: "commit"
        case .abort: "abort"
        case .register: "register"
        case .compact: "compact"
        case .housekeeping: "housekeeping"
        case .saveActivity: "saving activity"
        }
    }
}
