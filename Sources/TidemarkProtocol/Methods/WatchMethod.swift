import TidemarkStore

/// `watch {from?, tables?}` -> `{watch, lsn}`, then `watch.event` notifications;
/// `unwatch {watch}` -> `{}`.
public enum WatchMethod {
    public struct Params: Hashable, Sendable {
        public var from: LSN?
        public var tables: [String]?

        public init(from: LSN? = nil, tables: [String]? = nil) {
            self.from = from
            self.tables = tables
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            from = try reader.optionalUnsigned("from")
            tables = try TablesField.read(&reader, limits: limits)
            try reader.finish()
        }

        public var json: JSONValue {
            var object = JSONObject()
            if let from { object["from"] = JSONValue(from) }
            if let tables { object["tables"] = .array(tables.map(JSONValue.string)) }
            return .object(object)
        }
    }

    public struct Result: Hashable, Sendable {
        public var watch: UInt64
        public var lsn: LSN

        public init(watch: UInt64, lsn: LSN) {
            self.watch = watch
            self.lsn = lsn
        }

        public var json: JSONValue {
            .object(["watch": JSONValue(watch), "lsn": JSONValue(lsn)])
        }

        public init(json: JSONValue) throws(RPCError) {
            let object = try ResultReader(json)
            self.init(watch: try object.unsigned("watch"), lsn: try object.unsigned("lsn"))
        }
    }

    public struct UnwatchParams: Hashable, Sendable {
        public var watch: UInt64

        public init(watch: UInt64) {
            self.watch = watch
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            watch = try reader.unsigned("watch")
            try reader.finish()
        }

        public var json: JSONValue {
            .object(["watch": JSONValue(watch)])
        }
    }

    /// `watch.event {watch, record, invalidated?}`.
    public static func event(watch: UInt64, record: CommittedRecord) -> RPCNotification {
        var params: JSONObject = ["watch": JSONValue(watch), "record": record.record.json]
        if !record.invalidated.isEmpty { params["invalidated"] = .array(record.invalidated.map(JSONValue.string)) }
        return RPCNotification(method: RPCNotificationMethod.watchEvent, params: .object(params))
    }

    /// `watch.lost {watch, lsn}`: the watch ended; `lsn` is the last record delivered.
    public static func lost(watch: UInt64, lsn: LSN) -> RPCNotification {
        RPCNotification(method: RPCNotificationMethod.watchLost, params: .object(["watch": JSONValue(watch), "lsn": JSONValue(lsn)]))
    }
}
