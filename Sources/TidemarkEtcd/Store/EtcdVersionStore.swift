import TidemarkStore

/// `EtcdVersions` behind the server's `RemoteVersionStore` seam (`serve --backend etcd`).
///
/// It offers what the versions core does: `write` (with and without `source`), `stamp`,
/// `check` in every form, `register`, `begin`/`commit`/`abort`, `log`, `compact`, `stats`
/// and the record feed for `watch`, and it keeps the server's activity counters under the
/// prefix. The LMDB writer's housekeeping never reaches it: etcd leases and every server's
/// mirror do that work.
public final class EtcdVersionStore: RemoteVersionStore {
    public let versions: EtcdVersions
    public let consistency: EtcdVersions.Consistency
    public let limits = StoreLimits(maxWriteTables: EtcdVersions.maxTables)
    /// The cluster's `--quota-backend-bytes`, which etcd does not report: `stats`'
    /// `map_bytes`.
    public let quotaBytes: Int

    /// Names this server's activity counters under the prefix; nil keeps them in memory.
    public let activityName: String?

    public init(
        _ versions: EtcdVersions, consistency: EtcdVersions.Consistency = .linearizable, quotaBytes: Int = 2 << 30,
        activityName: String? = nil
    ) {
        self.versions = versions
        self.consistency = consistency
        self.quotaBytes = quotaBytes
        self.activityName = activityName
    }

    public func savedActivity() async throws(StoreError) -> [UInt8]? {
        guard let activityName else { return nil }
        return try await onEtcd { () async throws(EtcdError) in try await versions.savedActivity(of: activityName) }
    }

    public var backend: String { "etcd" }
    public var epoch: Epoch { versions.epoch }
    /// As this server's mirror knows it (`log` reads it linearizably).
    public var oldest: LSN { versions.knownOldest }

    public func currentLSN() async throws(StoreError) -> LSN {
        try await onEtcd { () async throws(EtcdError) in try await versions.currentLSN(consistency: consistency) }
    }

    public func stamp(_ deps: [Dep]) async throws(StoreError) -> StampResult {
        try limits.validate(deps, field: "deps")
        // A stamp is always linearizable: one older than an acknowledged write would let an
        // entry filled after that write pass for current.
        return try await onEtcd { () async throws(EtcdError) in try await versions.stamp(deps, consistency: .linearizable) }
    }

    public func check(_ queries: [CheckQuery]) async throws(StoreError) -> [Validity] {
        try limits.validate(queries)
        return try await onEtcd { () async throws(EtcdError) in try await versions.check(queries, consistency: consistency) }
    }

    public func statistics() async throws(StoreError) -> StoreStatistics {
        try await onEtcd { () async throws(EtcdError) in try await versions.statistics(quotaBytes: quotaBytes) }
    }

    public func sourcePosition(_ name: String) async throws(StoreError) -> UInt64 {
        try limits.validate(name: name, field: "name")
        return try await onEtcd { () async throws(EtcdError) in try await versions.sourcePosition(name) }
    }

    public func deliverRecords(to sink: @escaping @Sendable (RecordFeedEvent) -> Void) -> LSN {
        versions.deliverRecords(to: sink)
    }

    public func log(_ query: LogQuery) async throws(StoreError) -> LogPage {
        let oldest = try await onEtcd { () async throws(EtcdError) in try await versions.oldest() }
        // As on LMDB, a position below the oldest record names nothing that is kept.
        if let from = query.from, from < oldest { throw StoreError.compactedAway(below: oldest) }
        return try await onEtcd { () async throws(EtcdError) in
            try await versions.log(from: query.from, limit: query.limit, tables: query.tables, oldest: oldest)
        }
    }

    public func apply(_ request: MutationRequest) async throws(StoreError) -> MutationOutcome {
        let peer = request.peer
        switch request.mutation {
        case .write(let changes, let meta):
            try validate(changes)
            let lsn = try await onEtcd { () async throws(EtcdError) in try await versions.write(changes, meta: meta, peer: peer) }
            return .written(lsn: lsn, invalidated: await versions.droppedNames(at: lsn))
        case .sourcedWrite(let changes, let meta, let source):
            try validate(changes)
            try limits.validate(source)
            let outcome = try await onEtcd { () async throws(EtcdError) in
                try await versions.write(changes, meta: meta, peer: peer, source: source)
            }
            switch outcome {
            case .written(let lsn): return .written(lsn: lsn, invalidated: await versions.droppedNames(at: lsn))
            case .duplicate(let lsn, let position): return .duplicate(lsn: lsn, position: position)
            case .outOfOrder(let recorded): throw StoreError.outOfOrder(source, recorded: recorded)
            }
        case .begin(let changes, let lease, let meta):
            try validate(changes)
            let begun = try await onEtcd { () async throws(EtcdError) in
                try await versions.begin(changes, lease: lease, meta: meta, peer: peer)
            }
            return .begun(intent: begun.intent, lsn: begun.lsn, expiresAt: begun.expiresAt)
        case .commit(let id), .abort(let id):
            let committing = if case .commit = request.mutation { true } else { false }
            let closing = try await onEtcd { () async throws(EtcdError) in
                try await versions.close(id, committing: committing, peer: peer)
            }
            switch closing {
            case .closed(let lsn):
                return committing ? .written(lsn: lsn, invalidated: await versions.droppedNames(at: lsn)) : .aborted(lsn: lsn)
            case .notOpen(let state):
                throw StoreError.notOpen(state)
            }
        case .register(let name, let stamp, let deps, let ttl):
            try limits.validate(name: name, field: "name")
            try limits.validate(deps, field: "deps")
            let answer = try await onEtcd { () async throws(EtcdError) in
                try await versions.register(name, stamp: stamp, deps: deps, ttl: ttl)
            }
            return .registered(registered: answer.registered, valid: answer.valid)
        case .compact(let before):
            return .compacted(oldest: try await onEtcd { () async throws(EtcdError) in try await versions.compact(before: before) })
        case .saveActivity(let bytes) where activityName != nil:
            let name = activityName!
            try await onEtcd { () async throws(EtcdError) in try await versions.saveActivity(bytes, of: name) }
            return .saved
        default:
            throw StoreError(.unsupported, "\(Self.name(of: request.mutation)) is not supported by the \(backend) backend yet")
        }
    }

    /// Runs a call on etcd, its failures becoming the store's through the one mapping
    /// (`StoreError(etcd:)`).
    private func onEtcd<Result>(_ call: () async throws(EtcdError) -> Result) async throws(StoreError) -> Result {
        do {
            return try await call()
        } catch {
            throw StoreError(etcd: error)
        }
    }

    private func validate(_ changes: [Change]) throws(StoreError) {
        try limits.validate(changes, field: "changes")
        if let maxTables = limits.maxWriteTables, Set(changes.map(\.table)).count > maxTables {
            throw StoreError(
                .invalidArgument, "names more than \(maxTables) tables, the most one etcd transaction holds (max_write_tables)",
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
