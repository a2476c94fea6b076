import NIOCore
import TidemarkProtocol
import TidemarkStore

/// Routes requests to a remote store (`--backend etcd`): everything that reads or writes
/// the state is a call on `RemoteCalls`, answered when the backend answers. Mutations go
/// one by one (the backend orders them), not through the LMDB group-commit writer.
final class RemoteDispatcher: RequestRouter {
    let store: any RemoteVersionStore
    let calls: RemoteCalls
    let limits: ProtocolLimits
    let statistics: ServerStatistics
    let metrics: ServerMetrics?

    init(
        store: any RemoteVersionStore, calls: RemoteCalls, limits: ProtocolLimits, statistics: ServerStatistics,
        metrics: ServerMetrics? = nil
    ) {
        self.store = store
        self.calls = calls
        self.limits = limits
        self.statistics = statistics
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
            return .durable(calls.submit(on: eventLoop) {
                MutationCoding.json(try await store.apply(request), epoch: store.epoch, maxInvalidated: maxInvalidated)
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
            throw unsupported(method)
        case .watch, .unwatch:
            // Watches belong to the connection; one never reaches here.
            throw RPCError.internalError("\(method.rawValue) was routed as a read")
        }
    }

    func check(_ params: CheckMethod.Params, eventLoop: any EventLoop) -> DispatchStep {
        let store = self.store
        return .durable(calls.submit(on: eventLoop) {
            CheckMethod.json(try await store.check(params.queries), for: params)
        })
    }

    func watchBacklog(from: LSN?) throws(RPCError) -> any WatchBacklog {
        if let from, from < store.oldest {
            throw RPCError(serverError: StoreError.compactedAway(below: store.oldest))
        }
        return RemoteBacklog(store: store)
    }

    /// Refused the way the store refuses what it does not offer, so every such answer
    /// comes from the one error mapping.
    private func unsupported(_ method: RPCMethod) -> StoreError {
        StoreError(.unsupported, "\(method.rawValue) is not supported by the \(store.backend) backend yet")
    }
}
