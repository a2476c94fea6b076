import TidemarkStore

/// `source {name}` -> `{name, position}`: the highest position a `write` with
/// `source.name == name` recorded (0 if none did).
public enum SourceMethod {
    public struct Params: Hashable, Sendable {
        public var name: String

        public init(name: String) {
            self.name = name
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            name = try ParamsReader.name(try reader.required("name"), "name", max: limits.maxNameBytes)
            try reader.finish()
        }

        public var json: JSONValue {
            .object(["name": .string(name)])
        }
    }

    public static func json(name: String, position: UInt64) -> JSONValue {
        .object(["name": .string(name), "position": JSONValue(position)])
    }

    public static func position(_ json: JSONValue) throws(RPCError) -> UInt64 {
        try ResultReader(json).unsigned("position")
    }
}
