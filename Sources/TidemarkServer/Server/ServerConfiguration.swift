import NIOCore
import TidemarkProtocol

#if canImport(Glibc)
import Glibc
#endif

/// How the server listens.
public struct ServerConfiguration: Sendable {
    public var socketPath: String
    /// The socket file's mode; 0660 lets the owner's group connect.
    public var socketMode: mode_t = 0o660
    public var limits = ProtocolLimits()
    /// Most connections a single listener accepts at once before backpressure.
    public var backlog: Int32 = 256
    /// Records a watcher may fall behind by before it gets `watch.lost` and is dropped.
    public var watchBacklog = 4096
    /// Connections served at once; one more is answered -32001 and closed.
    public var maxConnections = 4096
    /// Who may write and who may read (`--writers`, `--readers`).
    public var access = AccessPolicy.processDefault
    /// How long connections keep answering new requests with -32006 after shutdown
    /// begins, before their input is closed.
    public var shutdownGrace: TimeAmount = .milliseconds(500)

    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}
