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
    /// A 3-member cluster, one member per host, and a running `EtcdVersions` whose watch
    /// starts on member 0 (the one the tests cut off), with a reader's patience of 20 s.
    /// Heals member 0 and stops everything after `body`.
    static func withReaderOnMemberZero(
        _ body: @Sendable @escaping (EtcdVersions, EtcdCluster, IsolatedHosts) async throws -> Void,
        records: (@Sendable (RecordFeedEvent) -> Void)? = nil
    ) async throws {
        try await IsolatedHosts.with(3) { hosts in
            let cluster = try await EtcdCluster.start(on: hosts)
            do {
                try await EtcdSuites.EtcdClientTests.withClient(cluster.clientURLs, timeout: .seconds(2)) { client in
                    let reader = try await EtcdVersions.open(client: client, mirrorTimeout: .seconds(20), logger: Logger(label: "test"))
                    if let records { _ = reader.deliverRecords(to: records) }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await reader.run() }
                        try await body(reader, cluster, hosts)
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

    /// Writes `changes` through members 1 and 2 only, one write each; returns the last LSN.
    static func writeThroughTheMajority(_ cluster: EtcdCluster, _ changes: [[Change]], compact: Bool = false) async throws -> LSN {
        try await EtcdSuites.EtcdClientTests.withClient(Array(cluster.clientURLs[1...]), timeout: .seconds(2)) { client in
            let writer = try await EtcdVersions.open(client: client, logger: Logger(label: "test"))
            var last: LSN = 0
            for change in changes { last = try await writer.write(change, deadline: .seconds(30)) }
            if compact { try await client.compact(revision: Int64(last)) }
            return last
        }
    }

    /// Checks until one is answered (within 40 s).
    static func firstAnswer(_ reader: EtcdVersions, _ stamp: Stamp, _ deps: [Dep]) async -> Validity? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(40) {
            if let answer = try? await reader.check(stamp, deps: deps) { return answer }
        }
        return nil
    }

    /// The gap ETCD.md listed: a server whose mirror watches the member that gets cut off
    /// (clients still reach it, so its stream stays open and only goes quiet). Its checks
    /// must come back by themselves, answering from the quorum's state, without a restart.
    @Test func aMirrorWatchingAMemberThatIsCutOffMovesToTheQuorum() async throws {
        try await Self.withReaderOnMemberZero { reader, cluster, hosts in
            let user = Dep(table: "users", key: "1")
            let before = try await reader.stamp([user])
            try await hosts.partition(0)
            let written = try await Self.writeThroughTheMajority(cluster, [[Change(table: "users", keys: ["1"])]])
            let answer = await Self.firstAnswer(reader, Stamp(epoch: before.epoch, lsn: before.lsn), [user])
            #expect(answer == Validity(reason: .changed, changed: [VersionedDep(dep: user, version: written)]))
        }
    }

    /// The reload path: a mirror whose watch stalled on a cut-off member while etcd
    /// compacted the revisions it had not seen cannot resume its watch anywhere. It loads
    /// the state afresh, tells its record sink that records were missed (the server then
    /// ends its watches with `watch.lost`), and answers from the quorum's state.
    @Test func aMirrorThatMissedCompactedRevisionsReloadsAndSaysSo() async throws {
        let restarts = Mutex<[LSN]>([])
        try await Self.withReaderOnMemberZero({ reader, cluster, hosts in
            let user = Dep(table: "users", key: "1")
            let before = try await reader.stamp([user])
            try await hosts.partition(0)
            // The reader's watch sees none of these: all compacted away.
            let written = try await Self.writeThroughTheMajority(
                cluster, ["1", "2", "3"].map { [Change(table: "users", keys: [$0])] }, compact: true)
            let answer = await Self.firstAnswer(reader, Stamp(epoch: before.epoch, lsn: before.lsn), [user])
            #expect(answer?.reason == .changed)
            // The sink is told after the fresh state is in place, so a check may be answered first.
            #expect(try await Eventually.holds { restarts.withLock { $0 }.contains { $0 >= written } })
        }, records: { event in
            if case .restarted(let after) = event { restarts.withLock { $0.append(after) } }
        })
    }
}
