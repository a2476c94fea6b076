import TidemarkStore

/// `register {name, epoch, lsn, deps, ttl_ms?}` -> `{registered, valid}`.
public enum RegisterMethod {
    public struct Params: Hashable, Sendable {
        public var name: String
        public var stamp: Stamp
        public var deps: [Dep]
        public var ttlMs: UInt64?

        public init(name: String, stamp: Stamp, deps: [Dep], ttlMs: UInt64? = nil) {
            self.name = name
            self.stamp = stamp
            self.deps = deps
            self.ttlMs = ttlMs
        }

        public init(json: JSONValue?, limits: ProtocolLimits) throws(RPCError) {
            var reader = try ParamsReader(json)
            name = try ParamsReader.name(try reader.required("name"), "name", max: limits.maxNameBytes)
            stamp = try StampFields.read(&reader)
            deps = try Dep.list(try reader.array("deps", max: limits.maxDeps), field: "deps", limits: limits)
            ttlMs = try Duration.read(&reader, "ttl_ms", max: limits.maxTTLMs)
            try reader.finish()
        }

        public var json: JSONValue {
            var object: JSONObject = [
                "name": .string(name), "epoch": .string(stamp.epoch.hex), "lsn": JSONValue(stamp.lsn),
                "deps": .array(deps.map(\.json)),
            ]
            if let ttlMs { object["ttl_ms"] = JSONValue(ttlMs) }
            return .object(object)
        }
    }

    public struct Result: Hashable, Sendable {
        public var registered: Bool
        public var valid: Bool

        public init(registered: Bool, valid: Bool) {
            self.registered = registered
            self.valid = valid
        }

        public var json: JSONValue {
            .object(["registered": .bool(registered), "valid": .bool(valid)])
        }

        public init(json: JSONValue) throws(RPCError) {
            let object = try ResultReader(json)
            guard let registered = object.bool("registered"), let valid = object.bool("valid") else {
                throw RPCError.invalidResponse("malformed register result")
            }
            self.init(registered: registered, valid: valid)
        }
    }
}

/// A positive duration in milliseconds with an upper bound (`ttl_ms`, lease `ttl_ms`).
enum Duration {
    static func read(_ reader: inout ParamsReader, _ key: String, max: UInt64) throws(RPCError) -> UInt64? {
        guard let value = try reader.optionalUnsigned(key) else { return nil }
        guard value > 0 else { throw RPCError.invalidParams(key, "must be at least 1") }
        guard value <= max else { throw RPCError.invalidParams(key, "must be at most \(max)") }
        return value
    }
}
