import NIOCore
import TidemarkProtocol
import TidemarkStore

extension ConnectionHandler {
    /// Decodes one line and gives its answer a place in order: answered at once when the
    /// line is not a valid request, otherwise queued behind the requests read before it.
    func admit(_ frame: InboundFrame) -> PendingAnswer {
        switch frame {
        case .oversized:
            return PendingAnswer(id: .null, result: .failure(.lineTooLong))
        case .line(let line):
            if let check = CompactCheckDecoder.decode(line, limits: limits) {
                let answer = PendingAnswer(id: check.id)
                let request = RPCRequest(id: check.id, method: RPCMethod.check.rawValue)
                enqueue(Work(request: request, method: .check, answer: answer, check: check.params))
                return answer
            }
            switch RPCInbound.decode(line, maxBatch: limits.maxBatch, maxDepth: limits.maxDepth) {
            case .malformed(let error):
                return PendingAnswer(id: .null, result: .failure(error))
            case .single(let request):
                return admit(request)
            case .batch(let requests):
                return PendingAnswer(batch: requests.map(admit))
            }
        }
    }

    private func admit(_ decoded: Result<RPCRequest, RPCRejection>) -> PendingAnswer {
        let request: RPCRequest
        switch decoded {
        case .failure(let rejection):
            return PendingAnswer(id: rejection.id ?? .null, result: .failure(rejection.error))
        case .success(let success):
            request = success
        }
        guard let method = RPCMethod(rawValue: request.method) else {
            return PendingAnswer(id: request.id, result: .failure(.methodNotFound(request.method)))
        }
        let answer = PendingAnswer(id: request.id)
        enqueue(Work(request: request, method: method, answer: answer))
        return answer
    }

    /// Why `method` is refused on this connection right now, if it is.
    func refusal(of method: RPCMethod) -> RPCError? {
        // Refused rather than silently dropped, so the sender knows it was not applied.
        if shutdown.isDraining {
            return RPCError(serverError: WriterRejection.shuttingDown)
        }
        do {
            try grant.check(method)
            return nil
        } catch {
            return RPCError(serverError: error)
        }
    }

    func respond(to work: Work, eventLoop: any EventLoop) -> DispatchStep {
        let request = work.request
        if let check = work.check {
            return dispatcher.check(check, eventLoop: eventLoop)
        }
        switch work.method {
        case .watch:
            return .done(Result { () throws(RPCError) in try watch(request.params, answer: work.answer) })
        case .unwatch:
            return .done(Result { () throws(RPCError) in try unwatch(request.params) })
        default:
            return dispatcher.dispatch(work.method, request.params, peer: grant.peer, eventLoop: eventLoop)
        }
    }

    private func watch(_ params: JSONValue?, answer: PendingAnswer) throws(RPCError) -> JSONValue {
        let params = try WatchMethod.Params(json: params, limits: limits)
        let from = params.from
        let backlog = try dispatcher.watchBacklog(from: from)
        let subscription = hub.subscribe(tables: params.tables.map(Set.init))
        watches.insert(subscription.id)
        answer.watchStart = WatchStart(subscription: subscription, from: from, backlog: backlog)
        return WatchMethod.Result(watch: subscription.id, lsn: subscription.startLSN).json
    }

    private func unwatch(_ params: JSONValue?) throws(RPCError) -> JSONValue {
        let params = try WatchMethod.UnwatchParams(json: params, limits: limits)
        guard watches.remove(params.watch) != nil else {
            throw RPCError.invalidParams("watch", "is not a watch of this connection")
        }
        hub.unsubscribe(params.watch)
        return .object([:])
    }
}
