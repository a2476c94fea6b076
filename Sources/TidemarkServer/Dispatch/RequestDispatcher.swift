import NIOCore
import TidemarkProtocol
import TidemarkStore

/// Routes each request to the store (reads, answered at once) or to the writer
/// (mutations, answered when durable).
final class RequestDispatcher: RequestRouter {
    let store: any VersionStore
    let writer: GroupCommitWriter
    let hub: WatchHub
    let limits: ProtocolLimits
    let statistics: ServerStatistics
    let activity: ActivityCounters
    let metrics: ServerMetrics?
    private let clock: @Sendable () -> Milliseconds

    init(
        store: any VersionStore, writer: GroupCommitWriter, hub: WatchHub, limits: ProtocolLimits,
        statistics: ServerStatistics, activity: ActivityCounters = ActivityCounters(countingSince: 0), metrics: ServerMetrics? = nil,
        clock: @escaping @Sendable () -> Milliseconds
    ) {
        self.store = store
        self.writer = writer
        self.hub = hub
        self.limits = limits
        self.statistics = statistics
        self.activity = activity
        self.metrics = metrics
        self.clock = clock
    }

    func dispatch(_ method: RPCMethod, _ params: JSONValue?, peer: Peer, eventLoop: any EventLoop) -> DispatchStep {
        do {
            if method.isMutation {
                return try mutate(method, params, peer: peer, eventLoop: eventLoop)
            }
            return .done(.success(try read(method, params)))
        } catch {
            return .done(.failure(RPCError(serverError: error)))
        }
    }

    private func read(_ method: RPCMethod, _ params: JSONValue?) throws -> JSONValue {
        switch method {
        case .hello:
            try EmptyParams.validate(params)
            return ServerIdentity.hello(epoch: store.epoch, lsn: try store.currentLSN(), limits: limits, backend: "lmdb")
        case .ping:
            try EmptyParams.validate(params)
            return .object([:])
        case .stamp:
            let params = try StampMethod.Params(json: params, limits: limits)
            return StampMethod.json(try store.stamp(params.deps))
        case .check:
            return try checkJSON(try CheckMethod.Params(json: params, limits: limits))
        case .log:
            let params = try LogMethod.Params(json: params, limits: limits)
            return LogMethod.json(try store.log(params.query(limits: limits)))
        case .stats:
            let params = try StatsMethod.Params(json: params, limits: limits)
            return try statisticsJSON(tables: params.tables)
        case .source:
            let params = try SourceMethod.Params(json: params, limits: limits)
            return SourceMethod.json(name: params.name, position: try store.sourcePosition(params.name))
        case .watch, .unwatch, .write, .begin, .commit, .abort, .register, .compact:
            // Watches belong to the connection and mutations to the writer; neither
            // reaches here, and if one ever did it must not take the server down.
            throw RPCError.internalError("\(method.rawValue) was routed as a read")
        }
    }

    func check(_ params: CheckMethod.Params, eventLoop: any EventLoop) -> DispatchStep {
        do {
            return .done(.success(try checkJSON(params)))
        } catch {
            return .done(.failure(RPCError(serverError: error)))
        }
    }

    var epoch: Epoch { store.epoch }
    /// The writer's queue keeps them in order and lets them share a commit.
    var appliesMutationsInOrder: Bool { true }

    func watchBacklog(from: LSN?) throws(RPCError) -> any WatchBacklog {
        if let from {
            do {
                // Refuses a start below the oldest retained record (-32004).
                _ = try store.log(LogQuery(from: from, limit: 0))
            } catch {
                throw RPCError(serverError: error)
            }
        }
        return LocalBacklog(store: store)
    }

    private func checkJSON(_ params: CheckMethod.Params) throws -> JSONValue {
        let results = try store.check(params.queries)
        activity.countChecks(params.queries, results)
        return CheckMethod.json(results, for: params)
    }

    private func mutate(
        _ method: RPCMethod, _ params: JSONValue?, peer: Peer, eventLoop: any EventLoop
    ) throws -> DispatchStep {
        let mutation = try MutationCoding.mutation(method, params, limits: limits)
        let promise = eventLoop.makePromise(of: MutationOutcome.self)
        writer.submit(MutationRequest(mutation, peer: peer), promise: promise)
        let epoch = store.epoch
        let maxInvalidated = limits.maxInvalidated
        let activity = self.activity
        return .durable(promise.futureResult.map { outcome in
            if case .registered(true, _) = outcome, case .register(_, _, let deps, _) = mutation {
                activity.countRegistration(deps)
            }
            return MutationCoding.json(outcome, epoch: epoch, maxInvalidated: maxInvalidated)
        })
    }

    private func statisticsJSON(tables: [String]?) throws -> JSONValue {
        StatisticsJSON.object(
            store: try store.statistics(), writes: writer.counters, server: statistics, watchers: hub.watcherCount,
            activity: activity.snapshot(), now: clock(), tables: tables)
    }
}
