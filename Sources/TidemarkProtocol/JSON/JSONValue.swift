/// An in-memory JSON document.
///
/// Integers are kept exact: protocol values such as LSNs and versions are
/// `UInt64`, and routing them through `Double` would silently corrupt them
/// above 2^53. `.unsigned` exists only for integers above `Int64.max`, so
/// every integer has exactly one representation when it comes from the
/// parser or from `init(_: UInt64)`.
///
/// Deliberately not `indirect`: arrays and objects already keep their
/// children out of line, and boxing every scalar would cost a heap
/// allocation per value (about 65% more work to parse a request line).
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    /// Only for integers greater than `Int64.max`.
    case unsigned(UInt64)
    /// Numbers written with a fraction or exponent, or integers too large for `UInt64`.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// Picks `.integer` when the value fits, keeping the one-representation rule.
    public init(_ value: UInt64) {
        self = value <= UInt64(Int64.max) ? .integer(Int64(value)) : .unsigned(value)
    }

    public init(_ value: Int64) {
        self = .integer(value)
    }

    public init(_ value: Int) {
        self = .integer(Int64(value))
    }
}

extension JSONValue: Equatable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(a), .bool(b)):
            return a == b
        case let (.integer(a), .integer(b)):
            return a == b
        case let (.unsigned(a), .unsigned(b)):
            return a == b
        case let (.double(a), .double(b)):
            return a == b
        case let (.string(a), .string(b)):
            // Swift's `==` treats canonically equivalent strings as equal; JSON
            // text that differs in its code points is a different value.
            return JSONObject.exactlyEqual(a, b)
        case let (.array(a), .array(b)):
            return a == b
        case let (.object(a), .object(b)):
            return a == b
        default:
            return false
        }
    }
}

extension JSONValue: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .integer(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .unsigned(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value)
        case .string(let value):
            // String's hash is canonical-equivalence based, which is coarser than
            // our exact equality and therefore still consistent with it.
            hasher.combine(5 as UInt8)
            hasher.combine(value)
        case .array(let value):
            hasher.combine(6 as UInt8)
            hasher.combine(value)
        case .object(let value):
            hasher.combine(7 as UInt8)
            hasher.combine(value)
        }
    }
}
