/// A granted lease: keys put with it are deleted when it runs out.
public struct EtcdLease: Sendable, Hashable, Decodable {
    public var header: EtcdResponseHeader
    public var id: Int64
    /// Seconds left (granted, or after a keep-alive); 0 or less when the lease is gone.
    public var ttl: Int64

    private enum CodingKeys: String, CodingKey { case header, id = "ID", ttl = "TTL" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        id = try container.gatewayInt64(.id)
        ttl = try container.gatewayInt64(.ttl)
    }
}

/// What `/v3/maintenance/status` says of the member that answered.
public struct EtcdMemberStatus: Sendable, Hashable, Decodable {
    public var header: EtcdResponseHeader
    public var version: String
    /// The member id of the leader this member knows, 0 for none.
    public var leader: UInt64
    public var raftIndex: UInt64
    public var dbSize: Int64
    /// Of `dbSize`, what holds live data (the rest is free pages until a defragment).
    public var dbSizeInUse: Int64
    /// Alarms and errors the member reports (`NOSPACE`, …).
    public var errors: [String]

    private enum CodingKeys: String, CodingKey { case header, version, leader, raftIndex, dbSize, dbSizeInUse, errors }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        version = try container.decodeIfPresent(String.self, forKey: .version) ?? ""
        leader = try container.gatewayUInt64(.leader)
        raftIndex = try container.gatewayUInt64(.raftIndex)
        dbSize = try container.gatewayInt64(.dbSize)
        dbSizeInUse = try container.gatewayInt64(.dbSizeInUse)
        errors = try container.gatewayArray(.errors)
    }

    public var isLeader: Bool { leader != 0 && leader == header.memberID }
}

/// Bodies of requests with one or two fields, encoded the gateway's way.
struct LeaseRequest: Encodable {
    var id: Int64 = 0
    var ttl: Int64 = 0

    private enum CodingKeys: String, CodingKey { case id = "ID", ttl = "TTL" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeGatewayInt64(id, forKey: .id)
        try container.encodeGatewayInt64(ttl, forKey: .ttl)
    }
}

struct EmptyRequest: Encodable {}

/// The keep-alive endpoint answers a stream; each message is wrapped in `result`.
struct StreamedResult<Message: Decodable>: Decodable {
    var result: Message?
    var error: GatewayError?
}

/// The gateway's error body: etcd's message and the gRPC status code.
struct GatewayError: Decodable, Sendable {
    var message: String
    var code: Int

    private enum CodingKeys: String, CodingKey { case message, error, code }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        message = try container.decodeIfPresent(String.self, forKey: .message)
            ?? container.decodeIfPresent(String.self, forKey: .error) ?? ""
        code = try container.decodeIfPresent(Int.self, forKey: .code) ?? 0
    }
}
