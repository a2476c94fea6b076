import TidemarkStore

extension Change {
    /// `{table, keys?}`; an absent, null or empty `keys` is a wide change.
    init(json: JSONValue, field: String, index: Int? = nil, limits: ProtocolLimits) throws(RPCError) {
        var reader = try ParamsReader(json, path: field, index: index)
        let table = try ParamsReader.name(try reader.required("table"), reader.fieldPath("table"), max: limits.maxTableBytes)
        let keys = try reader.optionalArray("keys", max: limits.maxKeysPerChange)
        let names = try ParamsReader.elements(keys ?? []) { (key, index) throws(RPCError) in
            try ParamsReader.name(key, ParamsReader.path(reader.fieldPath("keys"), index), max: limits.maxKeyBytes)
        }
        try reader.finish()
        self.init(table: table, keys: names)
    }

    public var json: JSONValue {
        var object: JSONObject = ["table": .string(table)]
        if let keys { object["keys"] = .array(keys.map(JSONValue.string)) }
        return .object(object)
    }

    static func list(_ values: [JSONValue], field: String, limits: ProtocolLimits) throws(RPCError) -> [Change] {
        guard !values.isEmpty else { throw RPCError.invalidParams(field, "must name at least one change") }
        return try ParamsReader.elements(values) { (value, index) throws(RPCError) in
            try Change(json: value, field: field, index: index, limits: limits)
        }
    }

    /// For clients reading records; trusts the server's shapes but never traps.
    init(json: JSONValue) throws(RPCError) {
        guard let table = json.objectValue?["table"]?.stringValue else {
            throw RPCError.invalidResponse("change without a table")
        }
        let keys = json.objectValue?["keys"]?.arrayValue?.compactMap(\.stringValue)
        self.init(table: table, keys: keys)
    }
}
