import TidemarkStore

/// Every size limit of the protocol, reported by `hello` in `limits` so clients can stay
/// inside them instead of discovering them by error.
public struct ProtocolLimits: Hashable, Sendable {
    public var maxLineBytes = 1_048_576
    public var maxBatch = 1000
    public var maxChanges = 1000
    /// Distinct tables in one `write`/`begin`; reported as at most `maxChanges`.
    public var maxWriteTables = Int.max
    public var maxKeysPerChange = 10_000
    public var maxDeps = 1000
    public var maxEntries = 1000
    public var maxMetaBytes = 16_384
    public var maxLogLimit = 10_000
    public var defaultLogLimit = 100
    public var maxTables = 1000
    public var maxTableBytes: Int
    public var maxKeyBytes: Int
    public var maxNameBytes: Int
    public var defaultLeaseMs: UInt64 = 30_000
    public var maxLeaseMs: UInt64 = 600_000
    public var defaultTTLMs: UInt64 = 3_600_000
    public var maxTTLMs: UInt64 = 30 * 86_400_000
    /// Longest `invalidated` list in a response; watchers always get the whole list.
    public var maxInvalidated = 1000
    public var maxDepth = 64

    public init(store: StoreLimits = StoreLimits()) {
        maxTableBytes = store.maxTableBytes
        maxKeyBytes = store.maxKeyBytes
        maxNameBytes = store.maxNameBytes
    }

    public var json: JSONValue {
        .object([
            "max_line_bytes": JSONValue(maxLineBytes),
            "max_batch": JSONValue(maxBatch),
            "max_changes": JSONValue(maxChanges),
            "max_write_tables": JSONValue(min(maxWriteTables, maxChanges)),
            "max_keys_per_change": JSONValue(maxKeysPerChange),
            "max_deps": JSONValue(maxDeps),
            "max_entries": JSONValue(maxEntries),
            "max_meta_bytes": JSONValue(maxMetaBytes),
            "max_log_limit": JSONValue(maxLogLimit),
            "max_tables": JSONValue(maxTables),
            "max_table_bytes": JSONValue(maxTableBytes),
            "max_key_bytes": JSONValue(maxKeyBytes),
            "max_name_bytes": JSONValue(maxNameBytes),
            "default_lease_ms": JSONValue(defaultLeaseMs),
            "max_lease_ms": JSONValue(maxLeaseMs),
            "default_ttl_ms": JSONValue(defaultTTLMs),
            "max_ttl_ms": JSONValue(maxTTLMs),
            "max_invalidated": JSONValue(maxInvalidated),
            "max_depth": JSONValue(maxDepth),
        ])
    }
}
