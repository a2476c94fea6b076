import NIOCore
import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

extension Channel {
    /// The credentials of the process on the other end of a Unix socket (SO_PEERCRED),
    /// as the kernel recorded them at connect time: they cannot be forged by the client.
    func peerCredentials() -> EventLoopFuture<Peer> {
        guard let provider = self as? any SocketOptionProvider else {
            return eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SO_PEERCRED)
            .map { (credentials: PeerCredentials) in
                Peer(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
            }
    }
}

/// `struct ucred` from <sys/socket.h>, which Glibc's Swift module hides behind _GNU_SOURCE.
private struct PeerCredentials {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
}
