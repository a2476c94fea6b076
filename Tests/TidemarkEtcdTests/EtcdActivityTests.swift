import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// A server's per-table activity on etcd lives under the prefix (`a/<name>`): a graceful
    /// stop saves it all, checks included; after kill -9 the records come back from the log.
    @Suite struct EtcdActivityTests {
        @Test func activitySurvivesARestartAndRecordCountsAKill9() async throws {
            let cluster = try await EtcdCluster.start()
            let directory = try TemporaryDirectory()
            let socket = "\(directory.path)/a.sock"
            var server = try await EtcdServerProcess.start(socketPath: socket, etcd: cluster.endpointList)
            do {
                let client = try await server.connect()
                for key in 1...5 { _ = try await client.write([Change(table: "users", keys: ["\(key)"])]) }
                let stamped = try await client.stamp([Dep(table: "users")])
                _ = try await client.check(stamp: Stamp(epoch: stamped.epoch, lsn: stamped.lsn), deps: [Dep(table: "users")])
                await client.close()
                #expect(await server.terminate() == 0)

                server = try await EtcdServerProcess.start(socketPath: socket, etcd: cluster.endpointList)
                var restarted = try await server.connect()
                var users = try await restarted.stats(tables: ["users"])["per_table"]?["users"]
                #expect(users?["writes"]?.uint64Value == 5)
                #expect(users?["distinct_keys"]?.uint64Value == 5)
                #expect(users?["checks"]?["valid"]?.uint64Value == 1)

                // Written by another server while this one is down, then this one killed
                // before its periodic save: both come back from the log.
                let other = try await EtcdServerProcess.start(socketPath: "\(directory.path)/b.sock", etcd: cluster.endpointList)
                let otherClient = try await other.connect()
                _ = try await otherClient.write([Change(table: "users")])
                await otherClient.close()
                #expect(await other.terminate() == 0)
                _ = try await restarted.write([Change(table: "users", keys: ["6"])])
                await restarted.close()
                await server.kill()

                server = try await EtcdServerProcess.start(socketPath: socket, etcd: cluster.endpointList)
                restarted = try await server.connect()
                users = try await restarted.stats(tables: ["users"])["per_table"]?["users"]
                #expect(users?["writes"]?.uint64Value == 7)
                #expect(users?["wide_writes"]?.uint64Value == 1)
                #expect(users?["checks"]?["valid"]?.uint64Value == 1)
                await restarted.close()
                #expect(await server.terminate() == 0)

                // A server of another name starts from the log alone: the writes, no checks.
                let renamed = try await EtcdServerProcess.start(
                    socketPath: socket, etcd: cluster.endpointList, arguments: ["--etcd-name", "elsewhere"])
                let fresh = try await renamed.connect()
                users = try await fresh.stats(tables: ["users"])["per_table"]?["users"]
                #expect(users?["writes"]?.uint64Value == 7)
                #expect(users?["checks"]?["valid"]?.uint64Value ?? 0 == 0)
                await fresh.close()
                #expect(await renamed.terminate() == 0)

                let verify = try await ShortCommand.run(ChildProcess.tidemarkBinary, ["verify", "--etcd", cluster.endpointList])
                #expect(verify.hasPrefix("ok"), "\(verify)")
                await cluster.stop()
            } catch {
                await server.kill()
                await cluster.stop()
                throw error
            }
        }
    }
}
