import TidemarkStore

extension Change {
    /// `{table, keys?}`; an absent, null or empty `keys` is a wide change.
    init(json: JSONValue, field: String, limits: ProtocolLimits) throws(RPCError) {
        var reader = try ParamsReader(json, path: field)
        let table = try ParamsReader.name(try reader.required("table"), reader.fieldPath("table"), max: limits.maxTableBytes)
        let keys = try reader.optionalArray("keys", max: limits.maxKeysPerChange)
        var names: [String] = []
        names.reserveCapacity(keys?.count ?? 0)
        for (index, key) in (keys ?? []).enumerated() {
            names.append(try ParamsReader.name(key, reader.fieldPath("keys[\(index)]"), max: limits.maxKeyBytes))
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
        var changes: [Change] = []
        changes.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            changes.append(try Change(json: value, field: "\(field)[\(index)]", limits: limits))
        }
        return changes
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
