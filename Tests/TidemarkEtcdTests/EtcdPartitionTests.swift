import Foundation
import Logging
import Synchronization
import Testing
import TidemarkEtcd
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// A real 3-member cluster with each member on a host of its own (network namespaces), one
    /// of them cut off from the other two while its clients still reach it: the case where a
    /// stale answer could slip out. A linearizable read through the cut-off member must fail,
    /// never answer what it had before the cut; once healed it answers the new value.
    @Suite struct EtcdPartitionTests {
        static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

        @Test func aMemberCutOffFromTheQuorumNeverServesAnOldValueAsLinearizable() async throws {
            try await IsolatedHosts.with(3) { hosts in
                let cluster = try await EtcdCluster.start(on: hosts)
                do {
                    try await Self.check(cluster, hosts)
                    await cluster.stop()
                } catch {
                    await cluster.stop()
                    throw error
                }
            }
        }

        private static func check(_ cluster: EtcdCluster, _ hosts: IsolatedHosts) async throws {
            let urls = cluster.clientURLs
            try await EtcdClientTests.withClient(urls, timeout: .seconds(2)) { client in
                let old = try await EtcdFailoverTests.putEventually(client, "/p/k")
                try await hosts.partition(0)
                // Written through the two members that still form a quorum, after an election
                // if the cut-off member led. A write whose answer was lost is written again: the
                // newest revision is the one to look for.
                let new = try await EtcdClientTests.withClient(Array(urls[1...]), timeout: .seconds(2)) { majority in
                    try await EtcdFailoverTests.putEventually(majority, "/p/k", value: "new")
                }
                #expect(new > old)
                try await EtcdClientTests.withClient([urls[0]], timeout: .seconds(2)) { isolated in
                    await #expect {
                        _ = try await isolated.get(Self.bytes("/p/k"))
                    } throws: { error in
                        (error as? EtcdError)?.code == .unavailable
                    }
                    // What `serializable` allows: the member's own, older state.
                    // (Retried: on a loaded machine a new connection can take a moment.)
                    var local: EtcdKeyValue?
                    let readBy = ContinuousClock.now + .seconds(20)
                    while local == nil, ContinuousClock.now < readBy {
                        local = try? await isolated.get(Self.bytes("/p/k"), serializable: true)
                    }
                    #expect(local?.modRevision == old)
                    try await hosts.heal(0)
                    let deadline = ContinuousClock.now + .seconds(30)
                    var healed: EtcdKeyValue?
                    // An attempt of the retried put that timed out may still commit after the
                    // one acknowledged: the value is the new one at that revision or later.
                    while (healed?.modRevision ?? 0) < new, ContinuousClock.now < deadline {
                        // Polls while the member rejoins and catches up.
                        healed = try? await isolated.get(Self.bytes("/p/k"))
                        if (healed?.modRevision ?? 0) < new { try await Task.sleep(for: .milliseconds(50)) }
                    }
                    #expect(healed?.value == Self.bytes("new") && (healed?.modRevision ?? 0) >= new)
                }
            }
        }
    }
}

extension EtcdSuites.EtcdPartitionTests {
    /// The gap ETCD.md listed: a server whose mirror watches the member that gets cut off
    /// (clients still reach it, so its stream stays open and only goes quiet). Its checks
    /// must come back by themselves, answering from the quorum's state, without a restart.
    @Test func aMirrorWatchingAMemberThatIsCutOffMovesToTheQuorum() async throws {
        try await IsolatedHosts.with(3) { hosts in
            let cluster = try await EtcdCluster.start(on: hosts)
            do {
                // The reader prefers member 0 (its watch starts there); the writer never uses it.
                try await EtcdSuites.EtcdClientTests.withClient(cluster.clientURLs, timeout: .seconds(2)) { readerClient in
                    let reader = try await EtcdVersions.open(
                        client: readerClient, mirrorTimeout: .seconds(20), logger: Logger(label: "test"))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await reader.run() }
                        let user = Dep(table: "users", key: "1")
                        let before = try await reader.stamp([user])
                        let stamp = Stamp(epoch: before.epoch, lsn: before.lsn)
                        try await hosts.partition(0)
                        let written = try await EtcdSuites.EtcdClientTests.withClient(Array(cluster.clientURLs[1...]), timeout: .seconds(2)) {
                            writerClient in
                            let writer = try await EtcdVersions.open(client: writerClient, logger: Logger(label: "test"))
                            return try await writer.write([Change(table: "users", keys: ["1"])], deadline: .seconds(30))
                        }
                        // Answered from the quorum's state, within the mirror's timeout.
                        let started = ContinuousClock.now
                        var answer: Validity?
                        while answer == nil, ContinuousClock.now - started < .seconds(40) {
                            answer = try? await reader.check(stamp, deps: [user])
                        }
                        #expect(answer == Validity(reason: .changed, changed: [VersionedDep(dep: user, version: written)]))
                        try await hosts.heal(0)
                        group.cancelAll()
                    }
                }
                await cluster.stop()
            } catch {
                await cluster.stop()
                throw error
            }
        }
    }
}

extension EtcdSuites.EtcdPartitionTests {
    /// The reload path: a mirror whose watch stalled on a cut-off member while etcd
    /// compacted the revisions it had not seen cannot resume its watch anywhere. It loads
    /// the state afresh, tells its record sink that records were missed (the server then
    /// ends its watches with `watch.lost`), and answers from the quorum's state.
    @Test func aMirrorThatMissedCompactedRevisionsReloadsAndSaysSo() async throws {
        try await IsolatedHosts.with(3) { hosts in
            let cluster = try await EtcdCluster.start(on: hosts)
            do {
                try await EtcdSuites.EtcdClientTests.withClient(cluster.clientURLs, timeout: .seconds(2)) { readerClient in
                    let reader = try await EtcdVersions.open(
                        client: readerClient, mirrorTimeout: .seconds(20), logger: Logger(label: "test"))
                    let restarts = Mutex<[LSN]>([])
                    _ = reader.deliverRecords { event in
                        if case .restarted(let after) = event { restarts.withLock { $0.append(after) } }
                    }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await reader.run() }
                        let user = Dep(table: "users", key: "1")
                        let before = try await reader.stamp([user])
                        try await hosts.partition(0)
                        let written = try await EtcdSuites.EtcdClientTests.withClient(
                            Array(cluster.clientURLs[1...]), timeout: .seconds(2)
                        ) { writerClient in
                            let writer = try await EtcdVersions.open(client: writerClient, logger: Logger(label: "test"))
                            var last: LSN = 0
                            for key in ["1", "2", "3"] {
                                last = try await writer.write([Change(table: "users", keys: [key])], deadline: .seconds(30))
                            }
                            // The reader's watch has seen none of them: compact them all away.
                            try await writerClient.compact(revision: Int64(last))
                            return last
                        }
                        var answer: Validity?
                        let started = ContinuousClock.now
                        while answer == nil, ContinuousClock.now - started < .seconds(40) {
                            answer = try? await reader.check(Stamp(epoch: before.epoch, lsn: before.lsn), deps: [user])
                        }
                        #expect(answer?.reason == .changed)
                        #expect(restarts.withLock { $0 }.contains { $0 >= written })
                        try await hosts.heal(0)
                        group.cancelAll()
                    }
                }
                await cluster.stop()
            } catch {
                await cluster.stop()
                throw error
            }
        }
    }
}
