import TidemarkStore

extension Dep {
    /// `{table, key?}`.
    init(json: JSONValue, field: String, index: Int? = nil, limits: ProtocolLimits) throws(RPCError) {
        var reader = try ParamsReader(json, path: field, index: index)
        let table = try ParamsReader.name(try reader.required("table"), reader.fieldPath("table"), max: limits.maxTableBytes)
        let key = try reader.optional("key").map { (value) throws(RPCError) in
            try ParamsReader.name(value, reader.fieldPath("key"), max: limits.maxKeyBytes)
        }
        try reader.finish()
        self.init(table: table, key: key)
    }

    public var json: JSONValue {
        var object: JSONObject = ["table": .string(table)]
        if let key { object["key"] = .string(key) }
        return .object(object)
    }

    static func list(_ values: [JSONValue], field: String, limits: ProtocolLimits) throws(RPCError) -> [Dep] {
        try ParamsReader.elements(values) { (value, index) throws(RPCError) in
            try Dep(json: value, field: field, index: index, limits: limits)
        }
    }

    init(json: JSONValue) throws(RPCError) {
        guard let table = json.objectValue?["table"]?.stringValue else {
            throw RPCError.invalidResponse("dependency without a table")
        }
        self.init(table: table, key: json.objectValue?["key"]?.stringValue)
    }
}

extension VersionedDep {
    public var json: JSONValue {
        var object: JSONObject = ["table": .string(dep.table)]
        if let key = dep.key { object["key"] = .string(key) }
        object["version"] = JSONValue(version)
        return .object(object)
    }

    init(json: JSONValue) throws(RPCError) {
        guard let version = json.objectValue?["version"]?.uint64Value else {
            throw RPCError.invalidResponse("changed dependency without a version")
        }
        self.init(dep: try Dep(json: json), version: version)
    }
}
