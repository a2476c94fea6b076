import Foundation
import Testing
import TidemarkClient
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// `tidemark verify --etcd`: clean after a fleet's ordinary work (writes, wide writes,
    /// intents open and closed, names, a compaction), and naming each key someone changed
    /// behind Tidemark's back.
    @Suite struct EtcdVerifyTests {
        @Test func verifyIsCleanAfterAFleetsWorkAndNamesEveryTamperedKey() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let b = try await servers[1].connect()
                for key in 1...5 { _ = try await a.write([Change(table: "users", keys: ["\(key)"])]) }
                _ = try await b.write([Change(table: "orders")])
                _ = try await b.write([Change(table: "bulk", keys: (0..<300).map(String.init))])
                let committed = try await a.begin([Change(table: "users", keys: ["1"])], ttlMs: 60_000)
                _ = try await b.commit(intent: committed.intent)
                let open = try await b.begin([Change(table: "carts", keys: ["9"])], ttlMs: 60_000)
                let stamped = try await a.stamp([])
                _ = try await a.register(name: "home", stamp: Stamp(epoch: stamped.epoch, lsn: stamped.lsn), deps: [])
                let cut = try await a.write([Change(table: "users", keys: ["6"])]).lsn
                _ = try await a.compact(before: cut)

                let clean = try await Self.verify(cluster)
                #expect(clean.status == 0, "\(clean.output)")
                #expect(clean.output.contains("no discrepancies") && clean.output.contains("1 intents"))

                // A version no record explains, an open intent's key gone, a stray key.
                try await Self.etcdctl(cluster, ["put", "/tidemark/k/5:users2", "x"])
                try await Self.etcdctl(cluster, ["del", "/tidemark/i/\(open.intent)"])
                try await Self.etcdctl(cluster, ["put", "/tidemark/stray", "x"])
                let tampered = try await Self.verify(cluster)
                #expect(tampered.status == 1)
                #expect(tampered.output.contains("key_version k/5:users2"))
                // Its begin record was compacted away: its lease key gives it away.
                #expect(tampered.output.contains("intent lease of \(open.intent): expected an open intent"))
                #expect(tampered.output.contains("meta stray"))
                #expect(tampered.output.contains("3 discrepancies"))
                await a.close()
                await b.close()
            }
        }

        static func verify(_ cluster: EtcdCluster) async throws -> (status: Int32, output: String) {
            do {
                return (0, try await ShortCommand.run(ChildProcess.tidemarkBinary, ["verify", "--etcd", cluster.endpointList]))
            } catch let failure as ShortCommand.Failure {
                return (failure.status, failure.output)
            }
        }

        static func etcdctl(_ cluster: EtcdCluster, _ arguments: [String]) async throws {
            _ = try await ShortCommand.run("/usr/bin/etcdctl", ["--endpoints", cluster.endpointList] + arguments)
        }
    }
}
