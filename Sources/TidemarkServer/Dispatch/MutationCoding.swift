import TidemarkProtocol
import TidemarkStore

/// The wire forms of mutations and their outcomes, the same for every backend.
enum MutationCoding {
    /// The mutation a request asks for; throws on bad params.
    static func mutation(_ method: RPCMethod, _ params: JSONValue?, limits: ProtocolLimits) throws -> Mutation {
        switch method {
        case .write:
            let params = try WriteMethod.Params(json: params, limits: limits)
            let meta = params.meta.map { JSONWriter.bytes(.object($0)) }
            if let source = params.source {
                return .sourcedWrite(changes: params.changes, meta: meta, source: source)
            }
            return .write(changes: params.changes, meta: meta)
        case .begin:
            let params = try BeginMethod.Params(json: params, limits: limits)
            return .begin(
                changes: params.changes, lease: params.ttlMs ?? limits.defaultLeaseMs,
                meta: params.meta.map { JSONWriter.bytes(.object($0)) })
        case .commit:
            return .commit(intent: try IntentMethod.Params(json: params, limits: limits).intent)
        case .abort:
            return .abort(intent: try IntentMethod.Params(json: params, limits: limits).intent)
        case .register:
            let params = try RegisterMethod.Params(json: params, limits: limits)
            return .register(
                name: params.name, stamp: params.stamp, deps: params.deps, ttl: params.ttlMs ?? limits.defaultTTLMs)
        case .compact:
            return .compact(before: try CompactMethod.Params(json: params, limits: limits).before)
        default:
            throw RPCError.internalError("\(method.rawValue) was routed as a mutation")
        }
    }

    static func json(_ outcome: MutationOutcome, epoch: Epoch, maxInvalidated: Int) -> JSONValue {
        switch outcome {
        case .written(let lsn, let invalidated):
            return WriteMethod.Result(
                epoch: epoch, lsn: lsn, invalidated: Array(invalidated.prefix(maxInvalidated)),
                invalidatedTruncated: invalidated.count > maxInvalidated
            ).json
        case .duplicate(let lsn, _):
            return WriteMethod.Result(epoch: epoch, lsn: lsn, invalidated: [], duplicate: true).json
        case .begun(let intent, let lsn, let expiresAt):
            return BeginMethod.Result(intent: intent, lsn: lsn, expiresAt: expiresAt).json
        case .aborted(let lsn):
            return IntentMethod.AbortResult(lsn: lsn).json
        case .registered(let registered, let valid):
            return RegisterMethod.Result(registered: registered, valid: valid).json
        case .compacted(let oldest):
            return CompactMethod.json(oldest: oldest)
        case .housekept, .saved:
            return .object([:])
        }
    }
}
