import TidemarkStore

/// `begin {changes, ttl_ms?, meta?}` -> `{intent, lsn, expires_at}`.
public enum BeginMethod {
    public struct Params: Hashable, Sendable {
        public var changes: [Change]
        public var ttlMs: UInt64?
        public var meta: JSONObject?

        public init(changes: [Change], ttlMs: UInt64? = nil, meta: JSONObject? = nil) {
            self.changes = changes
            self.ttlMs = ttlMs
            self.meta = meta
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            changes = try Change.list(try reader.array("changes", max: limits.maxChanges), field: "changes", limits: limits)
            ttlMs = try Duration.read(&reader, "ttl_ms", max: limits.maxLeaseMs)
            meta = try MetaField.read(&reader, limits: limits)
            try reader.finish()
        }

        public var json: JSONValue {
            var object: JSONObject = ["changes": .array(changes.map(\.json))]
            if let ttlMs { object["ttl_ms"] = JSONValue(ttlMs) }
            if let meta { object["meta"] = .object(meta) }
            return .object(object)
        }
    }

    public struct Result: Hashable, Sendable {
        public var intent: String
        public var lsn: LSN
        public var expiresAt: Milliseconds

        public init(intent: String, lsn: LSN, expiresAt: Milliseconds) {
            self.intent = intent
            self.lsn = lsn
            self.expiresAt = expiresAt
        }

        public var json: JSONValue {
            .object(["intent": .string(intent), "lsn": JSONValue(lsn), "expires_at": JSONValue(expiresAt)])
        }

        public init(json: JSONValue) throws(RPCError) {
            let object = try ResultReader(json)
            self.init(
                intent: try object.string("intent"), lsn: try object.unsigned("lsn"),
                expiresAt: try object.unsigned("expires_at"))
        }
    }
}

/// `commit {intent}` (answered like `write`) and `abort {intent}` -> `{lsn}`.
public enum IntentMethod {
    public struct Params: Hashable, Sendable {
        public var intent: String

        public init(intent: String) {
            self.intent = intent
        }

        /// Any string is accepted: one that names no intent is answered -32003 `unknown`.
        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            intent = try reader.string("intent")
            try reader.finish()
        }

        public var json: JSONValue {
            .object(["intent": .string(intent)])
        }
    }

    public struct AbortResult: Hashable, Sendable {
        public var lsn: LSN

        public init(lsn: LSN) {
            self.lsn = lsn
        }

        public var json: JSONValue {
            .object(["lsn": JSONValue(lsn)])
        }

        public init(json: JSONValue) throws(RPCError) {
            lsn = try ResultReader(json).unsigned("lsn")
        }
    }
}
