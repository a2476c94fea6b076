import TidemarkStore

extension SourcePosition {
    /// `{name, position}`: `name` a non-empty string of at most `max_name_bytes`,
    /// `position` an integer of at least 1.
    init(json: JSONValue, field: String, limits: ProtocolLimits) throws(RPCError) {
        var reader = try ParamsReader(json, path: field)
        let name = try ParamsReader.name(try reader.required("name"), reader.fieldPath("name"), max: limits.maxNameBytes)
        let position = try reader.unsigned("position")
        guard position > 0 else { throw RPCError.invalidParams(reader.fieldPath("position"), "must be at least 1") }
        try reader.finish()
        self.init(name: name, position: position)
    }

    public var json: JSONValue {
        .object(["name": .string(name), "position": JSONValue(position)])
    }
}
