import TidemarkStore

/// `log {from?, limit?, tables?}` -> `{records, next, oldest}`.
public enum LogMethod {
    public struct Params: Hashable, Sendable {
        public var from: LSN?
        public var limit: Int?
        public var tables: [String]?

        public init(from: LSN? = nil, limit: Int? = nil, tables: [String]? = nil) {
            self.from = from
            self.limit = limit
            self.tables = tables
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            from = try reader.optionalUnsigned("from")
            // A limit above the maximum is capped, not refused.
            limit = try reader.optionalUnsigned("limit").map { Int(min($0, UInt64(limits.maxLogLimit))) }
            tables = try TablesField.read(&reader, limits: limits)
            try reader.finish()
        }

        public func query(limits: ProtocolLimits) -> LogQuery {
            LogQuery(from: from, limit: limit ?? limits.defaultLogLimit, tables: tables.map(Set.init))
        }

        public var json: JSONValue {
            var object = JSONObject()
            if let from { object["from"] = JSONValue(from) }
            if let limit { object["limit"] = JSONValue(limit) }
            if let tables { object["tables"] = .array(tables.map(JSONValue.string)) }
            return .object(object)
        }
    }

    public static func json(_ page: LogPage) -> JSONValue {
        .object([
            "records": .array(page.records.map(\.json)),
            "next": JSONValue(page.next),
            "oldest": JSONValue(page.oldest),
        ])
    }

    public static func page(_ json: JSONValue) throws(RPCError) -> LogPage {
        let object = try ResultReader(json)
        var records: [Record] = []
        for value in try object.array("records") { records.append(try Record(json: value)) }
        return LogPage(records: records, next: try object.unsigned("next"), oldest: try object.unsigned("oldest"))
    }
}

/// The `tables` filter of `log` and `watch`.
enum TablesField {
    static func read(_ reader: inout ParamsReader, limits: ProtocolLimits) throws(RPCError) -> [String]? {
        guard let values = try reader.optionalArray("tables", max: limits.maxTables) else { return nil }
        return try ParamsReader.elements(values) { (value, index) throws(RPCError) in
            try ParamsReader.name(value, ParamsReader.path("tables", index), max: limits.maxTableBytes)
        }
    }
}
