import TidemarkStore

/// `check {epoch, lsn, deps}` | `{name}` | `{entries: [either form]}`
/// -> a validity, or `{results: [validity]}` for `entries`.
public enum CheckMethod {
    public enum Params: Hashable, Sendable {
        case single(CheckQuery)
        case entries([CheckQuery])

        public var queries: [CheckQuery] {
            switch self {
            case .single(let query): [query]
            case .entries(let queries): queries
            }
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            if reader.has("entries") {
                let values = try reader.array("entries", max: limits.maxEntries)
                try reader.finish()
                var queries: [CheckQuery] = []
                queries.reserveCapacity(values.count)
                for (index, value) in values.enumerated() {
                    var entry = try ParamsReader(value, path: "entries", index: index)
                    queries.append(try Self.query(&entry, limits: limits))
                }
                self = .entries(queries)
            } else {
                self = .single(try Self.query(&reader, limits: limits))
            }
        }

        private static func query(_ reader: inout ParamsReader, limits: ProtocolLimits) throws(RPCError) -> CheckQuery {
            if reader.has("name") {
                let name = try ParamsReader.name(try reader.required("name"), reader.fieldPath("name"), max: limits.maxNameBytes)
                try reader.finish()
                return .name(name)
            }
            let stamp = try StampFields.read(&reader)
            let deps = try Dep.list(try reader.array("deps", max: limits.maxDeps), field: reader.fieldPath("deps"), limits: limits)
            try reader.finish()
            return .stamp(stamp, deps: deps)
        }

        public var json: JSONValue {
            switch self {
            case .single(let query): Self.json(query)
            case .entries(let queries): .object(["entries": .array(queries.map(Self.json))])
            }
        }

        private static func json(_ query: CheckQuery) -> JSONValue {
            switch query {
            case .name(let name):
                return .object(["name": .string(name)])
            case .stamp(let stamp, let deps):
                return .object([
                    "epoch": .string(stamp.epoch.hex), "lsn": JSONValue(stamp.lsn), "deps": .array(deps.map(\.json)),
                ])
            }
        }
    }

    public static func json(_ validities: [Validity], for params: Params) -> JSONValue {
        switch params {
        case .single: validities.first?.json ?? .null
        case .entries: .object(["results": .array(validities.map(\.json))])
        }
    }

    public static func results(_ json: JSONValue, for params: Params) throws(RPCError) -> [Validity] {
        switch params {
        case .single:
            return [try Validity(json: json)]
        case .entries:
            var results: [Validity] = []
            for value in try ResultReader(json).array("results") { results.append(try Validity(json: value)) }
            return results
        }
    }
}

/// The `epoch` and `lsn` fields of a stamp, as `check` and `register` take them.
enum StampFields {
    static func read(_ reader: inout ParamsReader) throws(RPCError) -> Stamp {
        let epochText = try reader.string("epoch")
        guard let epoch = Epoch(hex: epochText) else {
            throw RPCError.invalidParams(reader.fieldPath("epoch"), "must be the 32 hex digits of an epoch")
        }
        return Stamp(epoch: epoch, lsn: try reader.unsigned("lsn"))
    }
}
