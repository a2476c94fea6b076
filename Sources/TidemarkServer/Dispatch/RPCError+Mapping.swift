import TidemarkProtocol
import TidemarkStore

extension RPCError {
    /// The one place where failures inside the server become JSON-RPC errors.
    init(serverError error: any Error) {
        switch error {
        case let error as RPCError:
            self = error
        case let error as StoreError:
            self = Self.mapping(error)
        case WriterRejection.overloaded:
            self = RPCError(code: Code.overloaded, message: "overloaded: too many writes queued; retry later")
        case WriterRejection.shuttingDown:
            self = .shuttingDown
        case let denied as AccessDenied:
            self = RPCError(
                code: Code.forbidden,
                message: "forbidden: uid \(denied.peer.uid) may not call \(denied.method.rawValue)",
                data: ["method": .string(denied.method.rawValue)])
        default:
            self = .internalError("\(error)")
        }
    }

    static let shuttingDown = RPCError(
        code: Code.shuttingDown, message: "shutting down: the server takes no new requests")

    private static func mapping(_ error: StoreError) -> RPCError {
        switch error.code {
        case .invalidArgument:
            return .invalidParams(error.field ?? "params", error.message)
        case .storageFull:
            return RPCError(code: Code.storageFull, message: "storage full: \(error.message)")
        case .unknownIntent:
            let state = error.intentState ?? .unknown
            return RPCError(
                code: Code.unknownIntent, message: "unknown or closed intent: \(error.message)",
                data: ["state": .string(state.rawValue)])
        case .compacted:
            return RPCError(
                code: Code.compacted, message: "compacted: \(error.message)",
                data: ["oldest": JSONValue(error.oldest ?? 0)])
        case .sourceOutOfOrder:
            return RPCError(
                code: Code.sourceOutOfOrder, message: "source out of order: \(error.message)",
                data: ["position": JSONValue(error.sourcePosition ?? 0)])
        case .unavailable:
            return RPCError(code: Code.unavailable, message: "backend unavailable: \(error.message)")
        case .unsupported:
            return RPCError(code: Code.methodNotFound, message: "method not found: \(error.message)")
        default:
            return .internalError(error.description)
        }
    }
}
