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

    public init(socketPath: String) {
        self.socketPath = socketPath
    }
}
