import TidemarkProtocol
import TidemarkStore

/// What `hello` says about the server.
public struct ServerHello: Hashable, Sendable {
    public var server: String
    public var version: String
    public var protocolVersion: Int
    public var epoch: Epoch
    public var lsn: LSN
    /// The server's size limits (`max_line_bytes`, `max_deps`, …), as sent.
    public var limits: JSONValue
    /// Where its state lives (`lmdb`, `etcd`); `lmdb` for a server that does not say.
    public var backend: String

    public init(
        server: String, version: String, protocolVersion: Int, epoch: Epoch, lsn: LSN, limits: JSONValue,
        backend: String = "lmdb"
    ) {
        self.server = server
        self.version = version
        self.protocolVersion = protocolVersion
        self.epoch = epoch
        self.lsn = lsn
        self.limits = limits
        self.backend = backend
    }

    public init(json: JSONValue) throws(TidemarkClientError) {
        guard let server = json["server"]?.stringValue, let version = json["version"]?.stringValue,
              let protocolVersion = json["protocol"]?.int64Value,
              let epoch = json["epoch"]?.stringValue.flatMap(Epoch.init(hex:)),
              let lsn = json["lsn"]?.uint64Value, let limits = json["limits"], limits.objectValue != nil
        else { throw TidemarkClientError(.invalidResponse, "malformed hello result: \(json)") }
        self.init(
            server: server, version: version, protocolVersion: Int(protocolVersion), epoch: epoch, lsn: lsn,
            limits: limits, backend: json["backend"]?.stringValue ?? "lmdb")
    }

    /// A limit by its wire name, e.g. `limit("max_line_bytes")`.
    public func limit(_ name: String) -> UInt64? {
        limits[name]?.uint64Value
    }
}
