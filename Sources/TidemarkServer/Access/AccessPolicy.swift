import TidemarkProtocol
import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

/// Who may call which methods, decided from the peer's kernel-recorded credentials.
///
/// Lists mean exactly what they say: a writer not named in an explicit `readers` list
/// may write but not read. `hello` and `ping` are open to anyone who can connect, so a
/// refused client can still learn what it is talking to.
public struct AccessPolicy: Sendable, Hashable {
    public enum Principal: Sendable, Hashable, CustomStringConvertible {
        case uid(UInt32)
        case gid(UInt32)

        public var description: String {
            switch self {
            case .uid(let uid): "uid:\(uid)"
            case .gid(let gid): "gid:\(gid)"
            }
        }
    }

    public var writers: [Principal]
    /// Nil: anyone who can connect to the socket may read.
    public var readers: [Principal]?

    public init(writers: [Principal], readers: [Principal]? = nil) {
        self.writers = writers
        self.readers = readers
    }

    /// The server's own user and root write; everyone who can connect reads.
    public static var processDefault: AccessPolicy {
        let own = getuid()
        return AccessPolicy(writers: own == 0 ? [.uid(0)] : [.uid(own), .uid(0)])
    }

    /// What a connection from `credentials` may do, fixed when it connects.
    func grant(for credentials: PeerIdentity) -> ConnectionGrant {
        ConnectionGrant(
            peer: credentials.peer,
            mayWrite: credentials.matchesAny(writers),
            mayRead: readers.map { credentials.matchesAny($0) } ?? true)
    }

    var namesGroups: Bool {
        writers.contains(where: \.isGroup) || (readers?.contains(where: \.isGroup) ?? false)
    }
}

extension AccessPolicy.Principal {
    var isGroup: Bool {
        if case .gid = self { return true }
        return false
    }
}

/// The access a connection was granted at connect time.
struct ConnectionGrant: Sendable {
    let peer: Peer
    let mayWrite: Bool
    let mayRead: Bool

    func check(_ method: RPCMethod) throws(AccessDenied) {
        let permitted =
            switch method.privilege {
            case .open: true
            case .read: mayRead
            case .write: mayWrite
            }
        if !permitted { throw AccessDenied(method: method, peer: peer) }
    }
}

/// A method the connection's credentials do not permit (-32005).
struct AccessDenied: Error, Hashable, Sendable {
    let method: RPCMethod
    let peer: Peer
}
