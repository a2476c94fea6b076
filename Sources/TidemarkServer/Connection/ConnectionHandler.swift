import NIOCore
import TidemarkProtocol
import TidemarkStore

/// Serves one connection: reads groups of lines, answers every request in order, and
/// writes each group's answers with one flush. Its watches run as child tasks of the
/// connection, so they end with it.
///
/// Order: a read waits for the connection's earlier writes to be durable, so it sees
/// them; consecutive writes are queued together, so a pipelining writer shares fsyncs
/// instead of paying one per request.
struct ConnectionHandler {
    let dispatcher: RequestDispatcher
    let hub: WatchHub
    let grant: ConnectionGrant
    let shutdown: ShutdownFlag
    let eventLoop: any EventLoop
    let limits: ProtocolLimits

    private var peer: Peer { grant.peer }

    /// What the connection holds between requests.
    private struct Session {
        var unsettledWrites: [EventLoopFuture<JSONValue>] = []
        var watches: Set<UInt64> = []
        /// Watches accepted in the current group of lines, started once it is answered.
        var newWatches: [(WatchSubscription, from: LSN?)] = []
    }

    func run(
        inbound: NIOAsyncChannelInboundStream<[InboundFrame]>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        var session = Session()
        defer { for id in session.watches { hub.unsubscribe(id) } }
        try await withThrowingDiscardingTaskGroup { group in
            for try await frames in inbound {
                var slots: [ResponseSlot] = []
                slots.reserveCapacity(frames.count)
                for frame in frames {
                    if let slot = await handle(frame, &session) { slots.append(slot) }
                }
                var buffer = ByteBuffer()
                for slot in slots { await slot.write(into: &buffer) }
                // Writing the slots awaited every write of this group, so none is unsettled
                // now. Without this, a connection that only writes (never a read, which
                // also clears the list) kept every answered write's future: ~360 bytes of
                // heap per write, without bound.
                session.unsettledWrites.removeAll()
                if buffer.readableBytes > 0 {
                    try await outbound.write(buffer)
                }
                for (subscription, from) in session.newWatches {
                    let pump = WatchPump(
                        subscription: subscription, from: from, store: dispatcher.store, hub: hub, outbound: outbound)
                    group.addTask { await pump.run() }
                }
                session.newWatches.removeAll()
            }
            // End of input: the watches end with the connection.
            group.cancelAll()
        }
    }

    private func handle(_ frame: InboundFrame, _ session: inout Session) async -> ResponseSlot? {
        switch frame {
        case .oversized:
            return .ready(.null, .failure(.lineTooLong))
        case .line(let line):
            switch RPCInbound.decode(line, maxBatch: limits.maxBatch, maxDepth: limits.maxDepth) {
            case .malformed(let error):
                return .ready(.null, .failure(error))
            case .single(let request):
                return await handle(request, &session)
            case .batch(let requests):
                var members: [ResponseSlot] = []
                for request in requests {
                    if let slot = await handle(request, &session) { members.append(slot) }
                }
                return .batch(members)
            }
        }
    }

    private func handle(_ decoded: Result<RPCRequest, RPCRejection>, _ session: inout Session) async -> ResponseSlot? {
        let request: RPCRequest
        switch decoded {
        case .failure(let rejection):
            return .ready(rejection.id ?? .null, .failure(rejection.error))
        case .success(let success):
            request = success
        }
        guard let method = RPCMethod(rawValue: request.method) else {
            return .ready(request.id, .failure(.methodNotFound(request.method)))
        }
        guard let metrics = dispatcher.metrics else { return await respond(method, request, &session) }
        let started = NIODeadline.now()
        let slot = await respond(method, request, &session)
        switch slot {
        case .ready(_, let result)?:
            metrics.requestFinished(method, succeeded: (try? result.get()) != nil, nanoseconds: (NIODeadline.now() - started).nanoseconds)
        case .durable(_, let future)?:
            future.whenComplete { result in
                metrics.requestFinished(method, succeeded: (try? result.get()) != nil, nanoseconds: (NIODeadline.now() - started).nanoseconds)
            }
        case .batch?, nil:
            break
        }
        return slot
    }

    private func respond(_ method: RPCMethod, _ request: RPCRequest, _ session: inout Session) async -> ResponseSlot? {
        // Refused rather than silently dropped, so the sender knows it was not applied.
        if shutdown.isDraining {
            return .ready(request.id, .failure(RPCError(serverError: WriterRejection.shuttingDown)))
        }
        do {
            try grant.check(method)
        } catch {
            return .ready(request.id, .failure(RPCError(serverError: error)))
        }
        // Anything but a mutation (which queues behind them in the writer anyway) must
        // see this connection's earlier writes, so it waits until they are durable.
        if !method.isMutation {
            for write in session.unsettledWrites { _ = try? await write.get() }
            session.unsettledWrites.removeAll()
        }
        switch method {
        case .watch:
            return .ready(request.id, Result { () throws(RPCError) in try watch(request.params, &session) })
        case .unwatch:
            return .ready(request.id, Result { () throws(RPCError) in try unwatch(request.params, &session) })
        default:
            break
        }
        switch dispatcher.dispatch(method, request.params, peer: peer, eventLoop: eventLoop) {
        case .done(let result):
            return .ready(request.id, result)
        case .durable(let future):
            session.unsettledWrites.append(future)
            return .durable(request.id, future)
        }
    }

    private func watch(_ params: JSONValue?, _ session: inout Session) throws(RPCError) -> JSONValue {
        let params = try WatchMethod.Params(json: params, limits: limits)
        let from = params.from
        if let from {
            do {
                // Refuses a start below the oldest retained record (-32004).
                _ = try dispatcher.store.log(LogQuery(from: from, limit: 0))
            } catch {
                throw RPCError(serverError: error)
            }
        }
        let subscription = hub.subscribe(tables: params.tables.map(Set.init))
        session.watches.insert(subscription.id)
        session.newWatches.append((subscription, from))
        return WatchMethod.Result(watch: subscription.id, lsn: subscription.startLSN).json
    }

    private func unwatch(_ params: JSONValue?, _ session: inout Session) throws(RPCError) -> JSONValue {
        let params = try WatchMethod.UnwatchParams(json: params, limits: limits)
        guard session.watches.remove(params.watch) != nil else {
            throw RPCError.invalidParams("watch", "is not a watch of this connection")
        }
        hub.unsubscribe(params.watch)
        return .object([:])
    }
}
