import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// Intents on the etcd backend over the real socket: pending on every server from
    /// `begin`, closed by whichever server is asked, and expired by the fleet when their
    /// lease runs out, even after the server that began them was killed.
    @Suite struct EtcdIntentTests {
        static func intentState(_ error: any Error) -> String? {
            guard let rpc = (error as? TidemarkClientError)?.rpcError, rpc.code == RPCError.Code.unknownIntent else { return nil }
            return rpc.data?["state"]?.stringValue
        }

        @Test func anIntentIsPendingOnEveryServerUntilAnotherServerClosesIt() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let b = try await servers[1].connect()
                let user = Dep(table: "users", key: "1")
                let other = Dep(table: "users", key: "2")
                let stamped = try await b.stamp([user, other])
                let stamp = Stamp(epoch: stamped.epoch, lsn: stamped.lsn)

                let begun = try await a.begin([Change(table: "users", keys: ["1"])], ttlMs: 60_000)
                #expect(begun.lsn > stamped.lsn)
                // Seen on the other server as soon as begin was acknowledged.
                let during = try await b.stamp([user, other])
                #expect(during.cacheable == false && during.versions == stamped.versions)
                #expect(try await b.stamp([other]).cacheable)
                #expect(try await b.check(stamp: stamp, deps: [user, other]) == Validity(reason: .pending, pending: [user]))
                #expect(try await b.check(stamp: stamp, deps: [Dep(table: "users")]).reason == .pending)
                #expect(try await b.check(stamp: stamp, deps: [other]) == .valid)

                // Committed through the server that did not begin it.
                let committed = try await b.commit(intent: begun.intent)
                #expect(committed.lsn > begun.lsn)
                #expect(
                    try await a.check(stamp: stamp, deps: [user, other])
                        == Validity(reason: .changed, changed: [VersionedDep(dep: user, version: committed.lsn)]))
                #expect(try await a.stamp([user]).cacheable)
                await #expect { _ = try await a.commit(intent: begun.intent) } throws: { Self.intentState($0) == "committed" }
                await #expect { _ = try await a.abort(intent: begun.intent) } throws: { Self.intentState($0) == "committed" }

                // An abort advances nothing and ends the pending state; a wide intent
                // covers every key of its table.
                let wide = try await b.begin([Change(table: "orders")], ttlMs: 60_000)
                let order = Dep(table: "orders", key: "never-written")
                #expect(try await a.stamp([order]).cacheable == false)
                let aborted = try await a.abort(intent: wide.intent)
                #expect(aborted > wide.lsn)
                let after = try await b.stamp([order])
                #expect(after.cacheable && after.versions == [0])
                await #expect { _ = try await b.commit(intent: wide.intent) } throws: { Self.intentState($0) == "aborted" }
                await #expect { _ = try await b.commit(intent: "no-such-intent") } throws: { Self.intentState($0) == "unknown" }
                await a.close()
                await b.close()
            }
        }

        @Test func anIntentWhoseServerWasKilledIsExpiredByTheOtherServer() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(1, on: cluster) { survivors in
                let directory = try TemporaryDirectory()
                let doomed = try await EtcdServerProcess.start(socketPath: directory.socketPath, etcd: cluster.endpointList)
                let writer = try await doomed.connect()
                let checker = try await survivors[0].connect()
                let user = Dep(table: "users", key: "7")
                let begun = try await writer.begin([Change(table: "users", keys: ["7"])], ttlMs: 1_500)
                await doomed.kill()
                #expect(try await checker.stamp([user]).cacheable == false)

                // Expired (as if committed) once the lease ended, by the server still up.
                let deadline = ContinuousClock.now + .seconds(30)
                var stamped = try await checker.stamp([user])
                while !stamped.cacheable, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    stamped = try await checker.stamp([user])
                }
                #expect(stamped.cacheable)
                #expect(stamped.versions[0] > begun.lsn)
                #expect(Self.now() >= begun.expiresAt)
                await #expect { _ = try await checker.commit(intent: begun.intent) } throws: { Self.intentState($0) == "expired" }
                await writer.close()
                await checker.close()
            }
        }

        @Test func aCommitAfterTheLeaseEndedExpiresTheIntentInstead() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(1, on: cluster) { servers in
                let client = try await servers[0].connect()
                let begun = try await client.begin([Change(table: "users", keys: ["9"])], ttlMs: 1)
                // Whether the background pass or the commit itself expires it, the answer
                // is the same, and the versions advanced once.
                await #expect { _ = try await client.commit(intent: begun.intent) } throws: { Self.intentState($0) == "expired" }
                let stamped = try await client.stamp([Dep(table: "users", key: "9")])
                #expect(stamped.cacheable && stamped.versions[0] > begun.lsn)
                await client.close()
            }
        }

        static func now() -> Milliseconds {
            Milliseconds(Date().timeIntervalSince1970 * 1000)
        }
    }
}
