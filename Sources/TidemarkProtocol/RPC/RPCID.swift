/// A JSON-RPC request id, echoed in its response. `null` is allowed (and used for
/// answers to requests whose id could not be read).
public enum RPCID: Hashable, Sendable {
    case number(Int64)
    case string(String)
    case null

    public var json: JSONValue {
        switch self {
        case .number(let value): .integer(value)
        case .string(let value): .string(value)
        case .null: .null
        }
    }

    /// Reads an id; nil when the value is not a valid id (fractions, objects, …).
    public init?(json: JSONValue) {
        switch json {
        case .integer(let value): self = .number(value)
        case .string(let value): self = .string(value)
        case .null: self = .null
        default: return nil
        }
    }
}
