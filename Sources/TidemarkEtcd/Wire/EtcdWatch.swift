/// A change seen by a watch.
public struct EtcdEvent: Sendable, Hashable, Decodable {
    public enum Kind: String, Sendable, Hashable { case put = "PUT", delete = "DELETE" }

    public var kind: Kind
    /// The key after the change; for a delete, its key and the deleting revision.
    public var kv: EtcdKeyValue

    private enum CodingKeys: String, CodingKey { case type, kv }

    public init(kind: Kind, kv: EtcdKeyValue) {
        self.kind = kind
        self.kv = kv
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decodeIfPresent(String.self, forKey: .type) ?? "PUT"
        guard let kind = Kind(rawValue: type) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown event type \(type)")
        }
        self.kind = kind
        kv = try container.decode(EtcdKeyValue.self, forKey: .kv)
    }
}

/// One message of a watch stream: events of one or more revisions, in order, or a
/// progress report (no events) saying the watch has seen everything up to `header.revision`.
public struct EtcdWatchResponse: Sendable, Hashable, Decodable {
    public var header: EtcdResponseHeader
    public var events: [EtcdEvent]
    public var created: Bool
    public var canceled: Bool
    /// When canceled because the start revision was compacted: the oldest revision left.
    public var compactRevision: Int64
    public var cancelReason: String

    private enum CodingKeys: String, CodingKey {
        case header, events, created, canceled, compactRevision = "compact_revision", cancelReason = "cancel_reason"
    }

    /// A message of events (what a stream delivers between its creation and its end).
    public init(header: EtcdResponseHeader, events: [EtcdEvent]) {
        self.header = header
        self.events = events
        created = false
        canceled = false
        compactRevision = 0
        cancelReason = ""
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(EtcdResponseHeader.self, forKey: .header) ?? EtcdResponseHeader()
        events = try container.gatewayArray(.events)
        created = try container.gatewayBool(.created)
        canceled = try container.gatewayBool(.canceled)
        compactRevision = try container.gatewayInt64(.compactRevision)
        cancelReason = try container.decodeIfPresent(String.self, forKey: .cancelReason) ?? ""
    }
}

/// `/v3/watch`'s request: one create request.
struct WatchCreateRequest: Encodable {
    var key: [UInt8]
    var rangeEnd: [UInt8]
    var startRevision: Int64
    var progressNotify: Bool

    private enum Outer: String, CodingKey { case createRequest = "create_request" }
    private enum CodingKeys: String, CodingKey {
        case key, rangeEnd = "range_end", startRevision = "start_revision", progressNotify = "progress_notify"
    }

    func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: Outer.self)
        var container = outer.nestedContainer(keyedBy: CodingKeys.self, forKey: .createRequest)
        try container.encodeGatewayBytes(key, forKey: .key)
        if !rangeEnd.isEmpty { try container.encodeGatewayBytes(rangeEnd, forKey: .rangeEnd) }
        try container.encodeGatewayInt64(startRevision, forKey: .startRevision)
        try container.encodeGatewayBool(progressNotify, forKey: .progressNotify)
    }
}
