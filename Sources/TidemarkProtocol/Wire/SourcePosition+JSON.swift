import TidemarkStore

extension SourcePosition {
    /// `{name, position, after?}`: `name` a non-empty string of at most `max_name_bytes`,
    /// `position` an integer of at least 1, `after` one below `position`.
    init(json: JSONValue, field: String, limits: ProtocolLimits) throws(RPCError) {
        var reader = try ParamsReader(json, path: field)
        let name = try ParamsReader.name(try reader.required("name"), reader.fieldPath("name"), max: limits.maxNameBytes)
        let position = try reader.unsigned("position")
        guard position > 0 else { throw RPCError.invalidParams(reader.fieldPath("position"), "must be at least 1") }
        let after = try reader.optionalUnsigned("after")
        if let after, after >= position {
            throw RPCError.invalidParams(reader.fieldPath("after"), "must be below position")
        }
        try reader.finish()
        self.init(name: name, position: position, after: after)
    }

    public var json: JSONValue {
        var object: JSONObject = ["name": .string(name), "position": JSONValue(position)]
        if let after { object["after"] = JSONValue(after) }
        return .object(object)
    }
}
