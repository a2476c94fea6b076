extension JSONValue {
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// Never derived from `.double`: a protocol integer written as `1.0` or
    /// `1e3` is a client bug that should surface, not be rounded away.
    public var int64Value: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// Only non-negative integers; never derived from `.double` (see `int64Value`).
    public var uint64Value: UInt64? {
        switch self {
        case .integer(let value) where value >= 0:
            return UInt64(value)
        case .unsigned(let value):
            return value
        default:
            return nil
        }
    }

    /// Any number, possibly rounded.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .unsigned(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Member lookup that reads naturally on nested request data
    /// (`request["params"]?["lsn"]`); `nil` when this is not an object or the key is absent.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}
