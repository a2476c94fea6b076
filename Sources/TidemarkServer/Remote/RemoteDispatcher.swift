import NIOCore
import TidemarkProtocol
import TidemarkStore

/// Routes requests to a remote store (`--backend etcd`): everything that reads or writes
/// the state is a call on `RemoteCalls`, answered when the backend answers. Mutations go
/// one by one (the backend orders them), not through the LMDB group-commit writer.
final class RemoteDispatcher: RequestRouter {
    let store: any RemoteVersionStore
    let calls: RemoteCalls
    let hub: WatchHub
    let limits: ProtocolLimits
    let statistics: ServerStatistics
    /// Counted in memory from this server's start: the fleet's records (from the record
    /// feed), this server's checks and registrations.
    let activity: ActivityCounters
    let metrics: ServerMetrics?

    init(
        store: any RemoteVersionStore, calls: RemoteCalls, hub: WatchHub, limits: ProtocolLimits,
        statistics: ServerStatistics, activity: ActivityCounters, metrics: ServerMetrics? = nil
    ) {
        self.store = store
        self.calls = calls
        self.hub = hub
        self.limits = limits
        self.statistics = statistics
        self.activity = activity
        self.metrics = metrics
    }

    var epoch: Epoch { store.epoch }
    /// Each mutation is its own call, and concurrent calls may apply in either order.
    var appliesMutationsInOrder: Bool { false }

    func dispatch(_ method: RPCMethod, _ params: JSONValue?, peer: Peer, eventLoop: any EventLoop) -> DispatchStep {
        do {
            return try route(method, params, peer: peer, eventLoop: eventLoop)
        } catch {
            return .done(.failure(RPCError(serverError: error)))
        }
    }

    private func route(_ method: RPCMethod, _ params: JSONValue?, peer: Peer, eventLoop: any EventLoop) throws -> DispatchStep {
        let store = self.store
        let limits = self.limits
        switch method {
        case .ping:
            try EmptyParams.validate(params)
            return .done(.success(.object([:])))
        case .hello:
            try EmptyParams.validate(params)
            return .durable(calls.submit(on: eventLoop) {
                ServerIdentity.hello(epoch: store.epoch, lsn: try await store.currentLSN(), limits: limits, backend: store.backend)
            })
        case .stamp:
            let deps = try StampMethod.Params(json: params, limits: limits).deps
            return .durable(calls.submit(on: eventLoop) { StampMethod.json(try await store.stamp(deps)) })
        case .check:
            return check(try CheckMethod.Params(json: params, limits: limits), eventLoop: eventLoop)
        case .write, .begin, .commit, .abort, .register, .compact:
            let request = MutationRequest(try MutationCoding.mutation(method, params, limits: limits), peer: peer)
            let maxInvalidated = limits.maxInvalidated
            let (activity, statistics) = (self.activity, self.statistics)
            return .durable(calls.submit(on: eventLoop) {
                let outcome = try await store.apply(request)
                statistics.countRemoteMutation()
                if case .registered(true, _) = outcome, case .register(_, _, let deps, _) = request.mutation {
                    activity.countRegistration(deps)
                }
                return MutationCoding.json(outcome, epoch: store.epoch, maxInvalidated: maxInvalidated)
            })
        case .log:
            let query = try LogMethod.Params(json: params, limits: limits).query(limits: limits)
            return .durable(calls.submit(on: eventLoop) { LogMethod.json(try await store.log(query)) })
        case .source:
            let name = try SourceMethod.Params(json: params, limits: limits).name
            return .durable(calls.submit(on: eventLoop) {
                SourceMethod.json(name: name, position: try await store.sourcePosition(name))
            })
        case .stats:
            let tables = try StatsMethod.Params(json: params, limits: limits).tables
            let (statistics, hub, activity) = (self.statistics, self.hub, self.activity)
            return .durable(calls.submit(on: eventLoop) {
                // Each mutation is its own backend transaction; none waits in a queue.
                let applied = statistics.remoteMutationsApplied
                return StatisticsJSON.object(
                    store: try await store.statistics(),
                    writes: GroupCommitWriter.Counters(batches: applied, mutations: applied, queued: 0), server: statistics,
                    watchers: hub.watcherCount, activity: activity.snapshot(), now: LMDBStore.wallClock(), tables: tables)
            })
        case .watch, .unwatch:
            // Watches belong to the connection; one never reaches here.
            throw RPCError.internalError("\(method.rawValue) was routed as a read")
        }
    }

    func check(_ params: CheckMethod.Params, eventLoop: any EventLoop) -> DispatchStep {
        let (store, activity) = (self.store, self.activity)
        return .durable(calls.submit(on: eventLoop) {
            let results = try await store.check(params.queries)
            activity.countChecks(params.queries, results)
            return CheckMethod.json(results, for: params)
        })
    }

    func watchBacklog(from: LSN?) throws(RPCError) -> any WatchBacklog {
        if let from, from < store.oldest {
            throw RPCError(serverError: StoreError.compactedAway(below: store.oldest))
        }
        return RemoteBacklog(store: store)
    }
}
