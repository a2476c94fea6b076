/// One etcd Txn: if every comparison holds, `success` runs, else `failure`; either way
/// atomically, at one revision.
public struct EtcdTransaction: Sendable, Hashable, Encodable {
    public var compare: [EtcdComparison]
    public var success: [EtcdOperation]
    public var failure: [EtcdOperation]

    public init(compare: [EtcdComparison] = [], success: [EtcdOperation], failure: [EtcdOperation] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// A condition on one key in a transaction.
public struct EtcdComparison: Sendable, Hashable, Encodable {
    public enum Relation: String, Sendable, Hashable { case equal = "EQUAL", greater = "GREATER", less = "LESS", notEqual = "NOT_EQUAL" }

    public enum Target: Sendable, Hashable {
        /// How many times the key was written since created; 0 when it does not exist.
        case version(Int64)
        /// The revision that created the key; 0 when it does not exist.
        case createRevision(Int64)
        case modRevision(Int64)
        case value([UInt8])
        case lease(Int64)
    }

    public var key: [UInt8]
    public var relation: Relation
    public var target: Target

    public init(key: [UInt8], _ relation: Relation, _ target: Target) {
        self.key = key
        self.relation = relation
        self.target = target
    }

    /// Holds when `key` does not exist.
    public static func absent(_ key: [UInt8]) -> EtcdComparison {
        EtcdComparison(key: key, .equal, .createRevision(0))
    }

    /// Holds when `key` exists.
    public static func present(_ key: [UInt8]) -> EtcdComparison {
        EtcdComparison(key: key, .greater, .createRevision(0))
    }

    private enum CodingKeys: String, CodingKey {
        case key, result, target, version, createRevision = "create_revision", modRevision = "mod_revision", value, lease
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeGatewayBytes(key, forKey: .key)
        try container.encode(relation.rawValue, forKey: .result)
        // Values are written even at 0: a comparison with 0 is meaningful.
        switch target {
        case .version(let value):
            try container.encode("VERSION", forKey: .target)
            try container.encode(String(value), forKey: .version)
        case .createRevision(let value):
            try container.encode("CREATE", forKey: .target)
            try container.encode(String(value), forKey: .createRevision)
        case .modRevision(let value):
            try container.encode("MOD", forKey: .target)
            try container.encode(String(value), forKey: .modRevision)
        case .value(let bytes):
            try container.encode("VALUE", forKey: .target)
            try container.encodeGatewayBytes(bytes, forKey: .value)
        case .lease(let value):
            try container.encode("LEASE", forKey: .target)
            try container.encode(String(value), forKey: .lease)
        }
    }
}

/// One operation inside a transaction.
public enum EtcdOperation: Sendable, Hashable, Encodable {
    case put(key: [UInt8], value: [UInt8], lease: Int64 = 0)
    case delete(key: [UInt8], rangeEnd: [UInt8] = [])
    case range(EtcdRangeRequest)

    private enum CodingKeys: String, CodingKey { case requestPut = "request_put", requestDeleteRange = "request_delete_range", requestRange = "request_range" }
    private enum FieldKeys: String, CodingKey { case key, value, lease, rangeEnd = "range_end" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .put(let key, let value, let lease):
            var fields = container.nestedContainer(keyedBy: FieldKeys.self, forKey: .requestPut)
            try fields.encodeGatewayBytes(key, forKey: .key)
            try fields.encodeGatewayBytes(value, forKey: .value)
            try fields.encodeGatewayInt64(lease, forKey: .lease)
        case .delete(let key, let rangeEnd):
            var fields = container.nestedContainer(keyedBy: FieldKeys.self, forKey: .requestDeleteRange)
            try fields.encodeGatewayBytes(key, forKey: .key)
            if !rangeEnd.isEmpty { try fields.encodeGatewayBytes(rangeEnd, forKey: .rangeEnd) }
        case .range(let request):
            try container.encode(request, forKey: .requestRange)
        }
    }
}

public struct EtcdTransactionResponse: Sendable, Hashable, Decodable {
    public var header: EtcdResponseHeader
    /// Whether the comparisons held (and `success` ran).
    public var succeeded: Bool
    /// One per operation that ran, in order.
    public var responses: [EtcdOperationResponse]

    private enum CodingKeys: String, CodingKey { case header, succeeded, responses }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        succeeded = try container.gatewayBool(.succeeded)
        responses = try container.gatewayArray(.responses)
    }
}

public enum EtcdOperationResponse: Sendable, Hashable, Decodable {
    case put
    /// How many keys the delete removed.
    case delete(deleted: Int64)
    case range(EtcdRangeResponse)

    private enum CodingKeys: String, CodingKey { case responsePut = "response_put", responseDeleteRange = "response_delete_range", responseRange = "response_range" }
    private enum DeleteKeys: String, CodingKey { case deleted }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let range = try container.decodeIfPresent(EtcdRangeResponse.self, forKey: .responseRange) {
            self = .range(range)
        } else if container.contains(.responseDeleteRange) {
            let fields = try container.nestedContainer(keyedBy: DeleteKeys.self, forKey: .responseDeleteRange)
            self = .delete(deleted: try fields.gatewayInt64(.deleted))
        } else {
            self = .put
        }
    }
}
