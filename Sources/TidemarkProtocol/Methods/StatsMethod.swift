/// `stats {tables?}`: the server's totals, and with `tables` its per-table activity
/// (`[]` for every table it has seen).
public enum StatsMethod {
    public struct Params: Hashable, Sendable {
        public var tables: [String]?

        public init(tables: [String]? = nil) {
            self.tables = tables
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            tables = try TablesField.read(&reader, limits: limits)
            try reader.finish()
        }

        public var json: JSONValue {
            guard let tables else { return .object([:]) }
            return .object(["tables": .array(tables.map(JSONValue.string))])
        }
    }
}
