import TidemarkStore

/// `write {changes, meta?, source?}` -> `{epoch, lsn, invalidated?, invalidated_truncated?,
/// duplicate?}`. `commit` answers with the same result.
public enum WriteMethod {
    public struct Params: Hashable, Sendable {
        public var changes: [Change]
        public var meta: JSONObject?
        /// Present for writes relayed from an ordered stream (`tidemark capture`).
        public var source: SourcePosition?

        public init(changes: [Change], meta: JSONObject? = nil, source: SourcePosition? = nil) {
            self.changes = changes
            self.meta = meta
            self.source = source
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            changes = try Change.list(try reader.array("changes", max: limits.maxChanges), field: "changes", limits: limits)
            meta = try MetaField.read(&reader, limits: limits)
            source = try reader.optional("source").map { (value) throws(RPCError) in
                try SourcePosition(json: value, field: "source", limits: limits)
            }
            try reader.finish()
        }

        public var json: JSONValue {
            var object: JSONObject = ["changes": .array(changes.map(\.json))]
            if let meta { object["meta"] = .object(meta) }
            if let source { object["source"] = source.json }
            return .object(object)
        }
    }

    public struct Result: Hashable, Sendable {
        public var epoch: Epoch
        public var lsn: LSN
        /// The names this write invalidated, capped at the server's `max_invalidated`.
        public var invalidated: [String]
        public var invalidatedTruncated: Bool
        /// A `write` whose `source.position` was at or below the source's recorded one:
        /// nothing was written, and `lsn` is the current LSN.
        public var duplicate: Bool

        public init(
            epoch: Epoch, lsn: LSN, invalidated: [String], invalidatedTruncated: Bool = false, duplicate: Bool = false
        ) {
            self.epoch = epoch
            self.lsn = lsn
            self.invalidated = invalidated
            self.invalidatedTruncated = invalidatedTruncated
            self.duplicate = duplicate
        }

        public var json: JSONValue {
            var object: JSONObject = ["epoch": .string(epoch.hex), "lsn": JSONValue(lsn)]
            if !invalidated.isEmpty { object["invalidated"] = .array(invalidated.map(JSONValue.string)) }
            if invalidatedTruncated { object["invalidated_truncated"] = true }
            if duplicate { object["duplicate"] = true }
            return .object(object)
        }

        public init(json: JSONValue) throws(RPCError) {
            let object = try ResultReader(json)
            epoch = try object.epoch("epoch")
            lsn = try object.unsigned("lsn")
            invalidated = object.strings("invalidated")
            invalidatedTruncated = object.bool("invalidated_truncated") ?? false
            duplicate = object.bool("duplicate") ?? false
        }
    }
}

/// The optional `meta` object of `write` and `begin`, kept by the store as JSON text.
enum MetaField {
    static func read(_ reader: inout ParamsReader, limits: ProtocolLimits) throws(RPCError) -> JSONObject? {
        guard let value = reader.optional("meta") else { return nil }
        guard let object = value.objectValue else { throw RPCError.invalidParams("meta", "must be an object") }
        let size = JSONWriter.bytes(value).count
        guard size <= limits.maxMetaBytes else {
            throw RPCError.invalidParams("meta", "is \(size) bytes, more than the limit of \(limits.maxMetaBytes)")
        }
        return object
    }
}
