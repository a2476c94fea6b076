import Testing
import TidemarkProtocol
import TidemarkStore

@testable import TidemarkServer

#if canImport(Glibc)
import Glibc
#endif

@Suite struct AccessPolicyTests {
    @Test func parsesNumbersAndNames() throws {
        #expect(try AccessPolicy.Principal.parseList("uid:1000,gid:50") == [.uid(1000), .gid(50)])
        #expect(try AccessPolicy.Principal.parseList(" uid:root , gid:root ") == [.uid(0), .gid(0)])
    }

    @Test(arguments: ["", ",", "uid:", "uid:1,", "user:1", "uid", "gid:no-such-group-tidemark", "uid:no-such-user-tidemark"])
    func refusesBadLists(_ text: String) {
        #expect(throws: AccessPolicyError.self) { try AccessPolicy.Principal.parseList(text) }
    }

    @Test func defaultLetsTheServersOwnUserAndRootWriteAndEveryoneRead() {
        let policy = AccessPolicy.processDefault
        let own = getuid()
        func grant(uid: UInt32) -> ConnectionGrant {
            policy.grant(for: PeerIdentity(peer: Peer(pid: 1, uid: uid, gid: 12345), groups: []))
        }
        #expect(grant(uid: own).mayWrite)
        #expect(grant(uid: 0).mayWrite)
        let stranger = grant(uid: 54321)
        #expect(!stranger.mayWrite)
        #expect(stranger.mayRead)
    }

    @Test func groupsMatchPrimaryOrSupplementary() {
        let policy = AccessPolicy(writers: [.gid(50)], readers: [.uid(7), .gid(60)])
        let primary = policy.grant(for: PeerIdentity(peer: Peer(pid: 1, uid: 9, gid: 50), groups: []))
        #expect(primary.mayWrite && !primary.mayRead)
        let supplementary = policy.grant(for: PeerIdentity(peer: Peer(pid: 1, uid: 9, gid: 1), groups: [60, 50]))
        #expect(supplementary.mayWrite && supplementary.mayRead)
        let neither = policy.grant(for: PeerIdentity(peer: Peer(pid: 1, uid: 9, gid: 1), groups: [61]))
        #expect(!neither.mayWrite && !neither.mayRead)
    }

    @Test func everyMethodNeedsTheRightPrivilege() {
        let readOnly = ConnectionGrant(peer: Peer(pid: 1, uid: 9, gid: 9), mayWrite: false, mayRead: true)
        let writeOnly = ConnectionGrant(peer: Peer(pid: 1, uid: 9, gid: 9), mayWrite: true, mayRead: false)
        for method in RPCMethod.allCases {
            let readAllowed = (try? readOnly.check(method)) != nil
            let writeAllowed = (try? writeOnly.check(method)) != nil
            switch method {
            case .hello, .ping: #expect(readAllowed && writeAllowed, "\(method)")
            case .write, .begin, .commit, .abort, .register, .compact: #expect(!readAllowed && writeAllowed, "\(method)")
            case .stamp, .check, .log, .watch, .unwatch, .stats, .source: #expect(readAllowed && !writeAllowed, "\(method)")
            }
        }
    }

    @Test func supplementaryGroupsAreReadFromProc() {
        let count = getgroups(0, nil)
        var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
        _ = getgroups(count, &groups)
        #expect(PeerIdentity.supplementaryGroups(of: getpid()) == Set(groups))
        #expect(PeerIdentity.supplementaryGroups(of: -1).isEmpty)
    }
}
