import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

/// A peer's credentials together with its supplementary groups, which SO_PEERCRED
/// does not carry but a `gid:` principal must match (a user's groups, not only its
/// primary one).
struct PeerIdentity: Sendable {
    let peer: Peer
    let groups: Set<UInt32>

    init(peer: Peer, groups: Set<UInt32>) {
        self.peer = peer
        self.groups = groups
    }

    /// Reads the supplementary groups from /proc only when a policy names groups; the
    /// peer is connected, so its pid cannot have been reused yet.
    init(peer: Peer, policy: AccessPolicy) {
        self.peer = peer
        self.groups = policy.namesGroups ? Self.supplementaryGroups(of: peer.pid) : []
    }

    func matchesAny(_ principals: [AccessPolicy.Principal]) -> Bool {
        principals.contains { principal in
            switch principal {
            case .uid(let uid): peer.uid == uid
            case .gid(let gid): peer.gid == gid || groups.contains(gid)
            }
        }
    }

    static func supplementaryGroups(of pid: Int32) -> Set<UInt32> {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("Groups:") else { continue }
            return Set(text.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
                .compactMap { UInt32($0) })
        }
        return []
    }
}
