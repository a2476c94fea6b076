import TidemarkStore

/// Reads a method's `params` object field by field, so that every error names the exact
/// field at fault (`changes[2].keys[0]`), and refuses fields it does not know: a typo
/// such as `dep` for `deps` must not silently turn into "no dependencies, valid".
///
/// Field paths are spelled out only for an error: building them for every field of every
/// request cost more than reading the fields.
struct ParamsReader {
    private let object: JSONObject
    private let path: String
    /// The object's position in the array `path` names, if it is an element.
    private let index: Int?
    /// Bit i: member i was asked for (members past 64 in `consumedBeyond`).
    private var consumed: UInt64 = 0
    private var consumedBeyond: [Int] = []

    init(_ params: JSONValue?, path: String = "", index: Int? = nil) throws(RPCError) {
        switch params {
        // Null means "no params" only for the whole `params`; a null array element
        // (`changes: [null]`) is a value of the wrong type, named as such.
        case nil: object = JSONObject()
        case .null? where path.isEmpty: object = JSONObject()
        case .object(let object)?: self.object = object
        default:
            let field = Self.path(path, index)
            throw RPCError.invalidParams(field.isEmpty ? "params" : field, "must be an object")
        }
        self.path = path
        self.index = index
    }

    static func path(_ path: String, _ index: Int?) -> String {
        guard let index else { return path }
        return "\(path)[\(index)]"
    }

    func fieldPath(_ key: String) -> String {
        let path = Self.path(path, index)
        // An empty member name still needs a visible name in `data.field`.
        let name = key.isEmpty ? #""""# : key
        return path.isEmpty ? name : "\(path).\(name)"
    }

    func has(_ key: String) -> Bool {
        object[key].map { !$0.isNull } ?? false
    }

    mutating func optional(_ key: String) -> JSONValue? {
        guard let position = object.index(forKey: key) else { return nil }
        if position < 64 {
            consumed |= 1 << position
        } else {
            consumedBeyond.append(position)
        }
        let value = object.members[position].value
        // Not `value.isNull ? nil : value`: JSONValue is itself ExpressibleByNilLiteral.
        guard !value.isNull else { return .none }
        return value
    }

    private func wasConsumed(_ position: Int) -> Bool {
        position < 64 ? consumed & (1 << position) != 0 : consumedBeyond.contains(position)
    }

    mutating func required(_ key: String) throws(RPCError) -> JSONValue {
        guard let value = optional(key) else { throw RPCError.invalidParams(fieldPath(key), "is required") }
        return value
    }

    /// Call last: fails on any field no reader asked for.
    func finish() throws(RPCError) {
        for (position, member) in object.members.enumerated() where !wasConsumed(position) {
            throw RPCError.invalidParams(fieldPath(member.key), "is not a known field")
        }
    }

    // MARK: Typed fields

    mutating func string(_ key: String) throws(RPCError) -> String {
        try Self.string(try required(key), fieldPath(key))
    }

    mutating func optionalString(_ key: String) throws(RPCError) -> String? {
        try optional(key).map { (value) throws(RPCError) in try Self.string(value, fieldPath(key)) }
    }

    mutating func unsigned(_ key: String) throws(RPCError) -> UInt64 {
        try Self.unsigned(try required(key), fieldPath(key))
    }

    mutating func optionalUnsigned(_ key: String) throws(RPCError) -> UInt64? {
        try optional(key).map { (value) throws(RPCError) in try Self.unsigned(value, fieldPath(key)) }
    }

    mutating func array(_ key: String, max: Int) throws(RPCError) -> [JSONValue] {
        try Self.array(try required(key), fieldPath(key), max: max)
    }

    mutating func optionalArray(_ key: String, max: Int) throws(RPCError) -> [JSONValue]? {
        try optional(key).map { (value) throws(RPCError) in try Self.array(value, fieldPath(key), max: max) }
    }

    static func string(_ value: JSONValue, _ field: @autoclosure () -> String) throws(RPCError) -> String {
        guard let string = value.stringValue else { throw RPCError.invalidParams(field(), "must be a string") }
        return string
    }

    static func unsigned(_ value: JSONValue, _ field: @autoclosure () -> String) throws(RPCError) -> UInt64 {
        guard let number = value.uint64Value else {
            throw RPCError.invalidParams(field(), "must be a non-negative integer")
        }
        return number
    }

    static func array(_ value: JSONValue, _ field: @autoclosure () -> String, max: Int) throws(RPCError) -> [JSONValue] {
        guard let array = value.arrayValue else { throw RPCError.invalidParams(field(), "must be an array") }
        guard array.count <= max else {
            throw RPCError.invalidParams(field(), "has \(array.count) elements, more than the limit of \(max)")
        }
        return array
    }

    /// Decodes each element of an array field; `decode` gets the element's index, to name
    /// it (`deps[3]`) in errors.
    static func elements<Element>(
        _ values: [JSONValue], _ decode: (JSONValue, Int) throws(RPCError) -> Element
    ) throws(RPCError) -> [Element] {
        var elements: [Element] = []
        elements.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            elements.append(try decode(value, index))
        }
        return elements
    }

    /// A table, key or name: a non-empty string of at most `max` UTF-8 bytes.
    static func name(_ value: JSONValue, _ field: @autoclosure () -> String, max: Int) throws(RPCError) -> String {
        let string = try Self.string(value, field())
        guard !string.isEmpty else { throw RPCError.invalidParams(field(), "must not be empty") }
        let count = string.utf8.count
        guard count <= max else {
            throw RPCError.invalidParams(field(), "is \(count) bytes, more than the limit of \(max)")
        }
        return string
    }
}
