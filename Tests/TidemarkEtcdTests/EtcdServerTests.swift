import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// `tidemark serve --backend etcd` over its real socket: two servers on one real cluster
    /// answer as one, methods the backend does not offer yet are refused by name, and losing
    /// the quorum gives errors, never answers, until the cluster is back (no restart).
    @Suite struct EtcdServerTests {
        static func withServers<Result>(
            _ count: Int, on cluster: EtcdCluster, _ body: ([EtcdServerProcess]) async throws -> Result
        ) async throws -> Result {
            let directory = try TemporaryDirectory()
            var servers: [EtcdServerProcess] = []
            do {
                for index in 0..<count {
                    servers.append(try await EtcdServerProcess.start(socketPath: "\(directory.path)/s\(index).sock", etcd: cluster.endpointList))
                }
                let result = try await body(servers)
                // SIGTERM ends each one cleanly (its mirror's watch stops with it).
                for server in servers { #expect(await server.terminate() == 0) }
                await cluster.stop()
                return result
            } catch {
                for server in servers { await server.kill() }
                await cluster.stop()
                throw error
            }
        }

        static func rpcCode(_ error: any Error) -> Int? {
            (error as? TidemarkClientError)?.rpcError?.code
        }

        @Test func twoServersOnOneClusterAnswerAsOne() async throws {
            let cluster = try await EtcdCluster.start()
            try await Self.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let b = try await servers[1].connect()
                let (helloA, helloB) = (try await a.hello(), try await b.hello())
                #expect(helloA.epoch == helloB.epoch)
                #expect(try await a.call("hello")["backend"] == .string("etcd"))

                let user = Dep(table: "users", key: "1")
                let before = try await b.stamp([user, Dep(table: "users")])
                let written = try await a.write([Change(table: "users", keys: ["1"])])
                #expect(written.lsn > before.lsn && written.epoch == helloA.epoch)
                // Checked through the other server right after the write was acknowledged.
                let stale = try await b.check(stamp: Stamp(epoch: before.epoch, lsn: before.lsn), deps: [user])
                #expect(stale == Validity(reason: .changed, changed: [VersionedDep(dep: user, version: written.lsn)]))
                let after = try await b.stamp([user])
                #expect(after.lsn >= written.lsn && after.versions == [written.lsn])
                #expect(try await b.check(stamp: Stamp(epoch: after.epoch, lsn: after.lsn), deps: [user, Dep(table: "orders")]) == .valid)
                // A batch of entries is answered from one state.
                let answers = try await a.check(entries: [
                    .stamp(Stamp(epoch: before.epoch, lsn: before.lsn), deps: [user]),
                    .stamp(Stamp(epoch: after.epoch, lsn: after.lsn), deps: [user]),
                    .stamp(Stamp(epoch: .random(), lsn: after.lsn), deps: [user]),
                ])
                #expect(answers.map(\.reason) == [.changed, nil, .epoch])

                // Bad input is refused as on LMDB, and changes nothing.
                await #expect { _ = try await a.call("write", params: .object(["changes": .array([])])) } throws: {
                    Self.rpcCode($0) == RPCError.Code.invalidParams
                }
                #expect(try await a.stamp([user]).versions == [written.lsn])
                // More keys than one etcd Txn holds: the table advances wide (more invalidated,
                // never fewer); more tables than fit is refused.
                let many = try await a.write([Change(table: "bulk", keys: (0..<500).map(String.init))])
                #expect(try await b.stamp([Dep(table: "bulk", key: "7"), Dep(table: "bulk", key: "never")]).versions == [many.lsn, many.lsn])
                // The most tables one write may name is in `hello`, so clients stay within it.
                #expect(helloA.limit("max_write_tables") == 61 && helloA.limit("max_changes") == 1000)
                _ = try await a.write((0..<61).map { Change(table: "t\($0)") })
                await #expect { _ = try await a.write((0..<62).map { Change(table: "t\($0)") }) } throws: {
                    Self.rpcCode($0) == RPCError.Code.invalidParams
                }
                await a.close()
                await b.close()
            }
        }

        @Test func quorumLossGivesErrorsNeverAnswersAndServiceReturnsByItself() async throws {
            let cluster = try await EtcdCluster.start()
            try await Self.withServers(1, on: cluster) { servers in
                let client = try await servers[0].connect()
                let user = Dep(table: "users", key: "1")
                let written = try await client.write([Change(table: "users", keys: ["1"])])
                let old = Stamp(epoch: written.epoch, lsn: written.lsn - 1)
                await cluster.kill(1)
                await cluster.kill(2)
                // No quorum: a linearizable check and a write both fail with -32008.
                await #expect { _ = try await client.check(stamp: old, deps: [user]) } throws: {
                    Self.rpcCode($0) == RPCError.Code.unavailable
                }
                await #expect { _ = try await client.write([Change(table: "users", keys: ["2"])]) } throws: {
                    Self.rpcCode($0) == RPCError.Code.unavailable
                }
                try await cluster.restart(1)
                try await cluster.restart(2)
                // Back without a restart of the server (the first attempts may meet an election).
                var again: WriteMethod.Result?
                let deadline = ContinuousClock.now + .seconds(60)
                while again == nil, ContinuousClock.now < deadline {
                    do {
                        again = try await client.write([Change(table: "users", keys: ["1"])])
                    } catch {
                        #expect(Self.rpcCode(error) == RPCError.Code.unavailable, "\(error)")
                    }
                }
                let lsn = try #require(again?.lsn)
                #expect(lsn > written.lsn)
                let now = try await client.stamp([user])
                #expect(now.versions == [lsn])
                #expect(try await client.check(stamp: old, deps: [user]).reason == .changed)
                await client.close()
            }
        }
    }
}
