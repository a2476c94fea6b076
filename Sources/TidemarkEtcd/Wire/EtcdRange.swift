/// A read of one key or a range of keys (`[key, rangeEnd)`; `rangeEnd` empty for one key).
public struct EtcdRangeRequest: Sendable, Hashable, Encodable {
    public enum SortTarget: String, Sendable, Hashable { case key = "KEY", modRevision = "MOD", createRevision = "CREATE" }
    public enum SortOrder: String, Sendable, Hashable { case none = "NONE", ascending = "ASCEND", descending = "DESCEND" }

    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    public var limit: Int64
    /// Read the store as of this revision; 0 for the newest.
    public var revision: Int64
    public var sortOrder: SortOrder
    public var sortTarget: SortTarget
    /// Answered by the member alone, without a quorum round: may be stale.
    public var serializable: Bool
    public var keysOnly: Bool
    public var countOnly: Bool
    /// Only keys last written at or after this revision.
    public var minModRevision: Int64
    /// Only keys last written at or before this revision; 0 for no bound.
    public var maxModRevision: Int64

    public init(
        key: [UInt8], rangeEnd: [UInt8] = [], limit: Int64 = 0, revision: Int64 = 0, sortOrder: SortOrder = .none,
        sortTarget: SortTarget = .key, serializable: Bool = false, keysOnly: Bool = false, countOnly: Bool = false,
        minModRevision: Int64 = 0, maxModRevision: Int64 = 0
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.limit = limit
        self.revision = revision
        self.sortOrder = sortOrder
        self.sortTarget = sortTarget
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.minModRevision = minModRevision
        self.maxModRevision = maxModRevision
    }

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: [UInt8]) -> EtcdRangeRequest {
        EtcdRangeRequest(key: prefix, rangeEnd: EtcdKeys.prefixEnd(prefix))
    }

    private enum CodingKeys: String, CodingKey {
        case key, rangeEnd = "range_end", limit, revision, sortOrder = "sort_order", sortTarget = "sort_target"
        case serializable, keysOnly = "keys_only", countOnly = "count_only", minModRevision = "min_mod_revision"
        case maxModRevision = "max_mod_revision"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeGatewayBytes(key, forKey: .key)
        if !rangeEnd.isEmpty { try container.encodeGatewayBytes(rangeEnd, forKey: .rangeEnd) }
        try container.encodeGatewayInt64(limit, forKey: .limit)
        try container.encodeGatewayInt64(revision, forKey: .revision)
        if sortOrder != .none { try container.encode(sortOrder.rawValue, forKey: .sortOrder) }
        if sortTarget != .key { try container.encode(sortTarget.rawValue, forKey: .sortTarget) }
        try container.encodeGatewayBool(serializable, forKey: .serializable)
        try container.encodeGatewayBool(keysOnly, forKey: .keysOnly)
        try container.encodeGatewayBool(countOnly, forKey: .countOnly)
        try container.encodeGatewayInt64(minModRevision, forKey: .minModRevision)
        try container.encodeGatewayInt64(maxModRevision, forKey: .maxModRevision)
    }
}

public struct EtcdRangeResponse: Sendable, Hashable, Decodable {
    public var header: EtcdResponseHeader
    public var kvs: [EtcdKeyValue]
    /// Whether more keys matched than `limit` let through.
    public var more: Bool
    /// How many keys matched (before `limit`).
    public var count: Int64

    private enum CodingKeys: String, CodingKey { case header, kvs, more, count }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        kvs = try container.gatewayArray(.kvs)
        more = try container.gatewayBool(.more)
        count = try container.gatewayInt64(.count)
    }
}

/// Key helpers for etcd's byte-ordered key space.
public enum EtcdKeys {
    /// The first key after every key that starts with `prefix` (etcd's range end for a
    /// prefix): the prefix with its last byte below 0xff incremented and what follows cut.
    public static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        // All 0xff (or empty): to the end of the key space.
        return [0]
    }
}
