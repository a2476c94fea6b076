import TidemarkStore

/// `stamp {deps?}` -> `{epoch, lsn, versions, cacheable}`.
public enum StampMethod {
    public struct Params: Hashable, Sendable {
        public var deps: [Dep]

        public init(deps: [Dep] = []) {
            self.deps = deps
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            deps = try Dep.list(try reader.optionalArray("deps", max: limits.maxDeps) ?? [], field: "deps", limits: limits)
            try reader.finish()
        }

        public var json: JSONValue {
            .object(["deps": .array(deps.map(\.json))])
        }
    }

    public static func json(_ result: StampResult) -> JSONValue {
        .object([
            "epoch": .string(result.epoch.hex),
            "lsn": JSONValue(result.lsn),
            "versions": .array(result.versions.map { JSONValue($0) }),
            "cacheable": .bool(result.cacheable),
        ])
    }

    public static func result(_ json: JSONValue) throws(RPCError) -> StampResult {
        let object = try ResultReader(json)
        var versions: [LSN] = []
        for value in try object.array("versions") {
            guard let version = value.uint64Value else { throw RPCError.invalidResponse("versions must be integers") }
            versions.append(version)
        }
        return StampResult(
            epoch: try object.epoch("epoch"), lsn: try object.unsigned("lsn"), versions: versions,
            cacheable: object.bool("cacheable") ?? false)
    }
}
