import TidemarkStore

/// `compact {before}` -> `{oldest}`.
public enum CompactMethod {
    public struct Params: Hashable, Sendable {
        public var before: LSN

        public init(before: LSN) {
            self.before = before
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            before = try reader.unsigned("before")
            try reader.finish()
        }

        public var json: JSONValue {
            .object(["before": JSONValue(before)])
        }
    }

    public static func json(oldest: LSN) -> JSONValue {
        .object(["oldest": JSONValue(oldest)])
    }

    public static func oldest(_ json: JSONValue) throws(RPCError) -> LSN {
        try ResultReader(json).unsigned("oldest")
    }
}
