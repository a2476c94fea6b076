/// One key as etcd stores it: its value and the revisions that created and last changed it.
public struct EtcdKeyValue: Sendable, Hashable, Decodable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The revision of the write that created the key (since it last did not exist).
    public var createRevision: Int64
    /// The revision of the last write to the key.
    public var modRevision: Int64
    /// How many times the key was written since it was created.
    public var version: Int64
    /// The lease the key is bound to, 0 for none.
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8], createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    private enum CodingKeys: String, CodingKey {
        case key, value, createRevision = "create_revision", modRevision = "mod_revision", version, lease
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.gatewayBytes(.key)
        value = try container.gatewayBytes(.value)
        createRevision = try container.gatewayInt64(.createRevision)
        modRevision = try container.gatewayInt64(.modRevision)
        version = try container.gatewayInt64(.version)
        lease = try container.gatewayInt64(.lease)
    }
}

/// What every etcd answer carries: which cluster and member answered, and the store's
/// revision when it did.
public struct EtcdResponseHeader: Sendable, Hashable, Decodable {
    public var clusterID: UInt64
    public var memberID: UInt64
    public var revision: Int64
    public var raftTerm: UInt64

    public init(clusterID: UInt64 = 0, memberID: UInt64 = 0, revision: Int64 = 0, raftTerm: UInt64 = 0) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.revision = revision
        self.raftTerm = raftTerm
    }

    private enum CodingKeys: String, CodingKey {
        case clusterID = "cluster_id", memberID = "member_id", revision, raftTerm = "raft_term"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        clusterID = try container.gatewayUInt64(.clusterID)
        memberID = try container.gatewayUInt64(.memberID)
        revision = try container.gatewayInt64(.revision)
        raftTerm = try container.gatewayUInt64(.raftTerm)
    }
}
