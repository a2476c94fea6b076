import TidemarkProtocol
import TidemarkStore

/// What `hello` says about the server. Never paths or other local secrets.
public struct ServerIdentity: Sendable {
    public static let name = "tidemark"
    public static let version = "0.1.0"
    public static let protocolVersion = 1

    /// `hello`'s answer, the same for every backend.
    static func hello(epoch: Epoch, lsn: LSN, limits: ProtocolLimits, backend: String) -> JSONValue {
        .object([
            "server": .string(name),
            "version": .string(version),
            "protocol": JSONValue(protocolVersion),
            "epoch": .string(epoch.hex),
            "lsn": JSONValue(lsn),
            "backend": .string(backend),
            "limits": limits.json,
        ])
    }
}
