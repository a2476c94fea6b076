import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// Named entries (§11) on the etcd backend, across two servers over the real socket:
    /// registered on one, checked on the other, dropped by a write through either (listed
    /// in its `invalidated` and in watchers' events), and purged after their TTL.
    @Suite struct EtcdNameTests {
        @Test func aNameRegisteredOnOneServerIsCheckedAndDroppedThroughTheOther() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let b = try await servers[1].connect()
                let user = Dep(table: "users", key: "1")
                let stamped = try await a.stamp([user, Dep(table: "groups")])
                let stamp = Stamp(epoch: stamped.epoch, lsn: stamped.lsn)

                let registered = try await a.register(name: "user:1", stamp: stamp, deps: [user, Dep(table: "groups")])
                #expect(registered.registered && registered.valid)
                #expect(try await b.check(name: "user:1") == .valid)
                #expect(try await b.check(name: "never") == Validity(reason: .unknown))

                // A write to another key drops nothing; one to the dep, through the other
                // server, drops the name and says so.
                let other = try await b.write([Change(table: "users", keys: ["2"])])
                #expect(other.invalidated.isEmpty)
                #expect(try await a.check(name: "user:1") == .valid)
                let write = try await b.write([Change(table: "users", keys: ["1"])])
                #expect(write.invalidated == ["user:1"])
                #expect(try await a.check(name: "user:1") == Validity(reason: .unknown))
                #expect(
                    try await a.check(entries: [.name("user:1"), .stamp(stamp, deps: [Dep(table: "groups")])])
                        == [Validity(reason: .unknown), .valid])

                // A stale stamp is not stored, and drops an earlier entry of that name.
                let fresh = try await a.stamp([user])
                let freshStamp = Stamp(epoch: fresh.epoch, lsn: fresh.lsn)
                #expect(try await a.register(name: "user:1", stamp: freshStamp, deps: [user]).registered)
                #expect(try await b.check(name: "user:1") == .valid)
                let stale = try await b.register(name: "user:1", stamp: stamp, deps: [user])
                #expect(!stale.registered && !stale.valid)
                #expect(try await a.check(name: "user:1") == Validity(reason: .unknown))
                let otherEpoch = Stamp(epoch: Epoch(high: 1, low: 2), lsn: fresh.lsn)
                #expect(try await a.register(name: "x", stamp: otherEpoch, deps: []).registered == false)

                // An intent over a dep makes the name pending until it commits, which
                // drops it.
                #expect(try await a.register(name: "user:1", stamp: freshStamp, deps: [user]).registered)
                let begun = try await b.begin([Change(table: "users", keys: ["1"])], ttlMs: 60_000)
                #expect(try await a.check(name: "user:1") == Validity(reason: .pending, pending: [user]))
                let pendingRegister = try await a.register(name: "user:1b", stamp: freshStamp, deps: [user])
                #expect(!pendingRegister.registered && !pendingRegister.valid)
                let committed = try await a.commit(intent: begun.intent)
                #expect(committed.invalidated == ["user:1"])
                #expect(try await b.check(name: "user:1") == Validity(reason: .unknown))
                await a.close()
                await b.close()
            }
        }

        /// A wide write drops every name on its table; watchers on any server get the
        /// names a record dropped with the record; names outlive no TTL.
        @Test func watchersSeeDroppedNamesAndNamesArePurgedAfterTheirTTL() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let watcher = try await servers[1].connect()
                let stamped = try await a.stamp([])
                let stamp = Stamp(epoch: stamped.epoch, lsn: stamped.lsn)
                for key in ["1", "2", "3"] {
                    #expect(try await a.register(name: "order:\(key)", stamp: stamp, deps: [Dep(table: "orders", key: key)]).registered)
                }
                #expect(try await a.register(name: "orders", stamp: stamp, deps: [Dep(table: "orders")]).registered)
                #expect(try await a.register(name: "user", stamp: stamp, deps: [Dep(table: "users", key: "1")]).registered)
                let watch = try await watcher.watch(tables: ["orders"])

                let wide = try await a.write([Change(table: "orders")])
                #expect(wide.invalidated == ["order:1", "order:2", "order:3", "orders"])
                var event: WatchEvent?
                for await notification in watcher.notifications {
                    if let received = try WatchEvent(notification), received.record.lsn == wide.lsn {
                        event = received
                        break
                    }
                }
                #expect(event?.watch == watch.watch)
                #expect(event?.invalidated == ["order:1", "order:2", "order:3", "orders"])
                #expect(try await watcher.check(name: "user") == .valid)

                // Expired by its TTL: `expired` at most until the next sweep, then gone.
                #expect(try await a.register(name: "short", stamp: stamp, deps: [], ttlMs: 200).registered)
                #expect(try await watcher.check(name: "short") == .valid)
                let purged = try await Eventually.holds { try await watcher.check(name: "short").reason == .unknown }
                #expect(purged)
                // Its key goes from etcd too (after the sweep that made it unknown).
                #expect(try await Eventually.holds { try await Self.nameKeys(on: cluster) == ["/tidemark/n/user"] })
                await a.close()
                await watcher.close()
            }
        }

        /// More deps than one Txn can compare: the register compares the head instead, and
        /// the name behaves the same.
        @Test func aNameWithMoreDepsThanATransactionComparesIsStoredAndDropped() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(1, on: cluster) { servers in
                let client = try await servers[0].connect()
                let deps = (0..<200).map { Dep(table: "items", key: "\($0)") }
                let stamped = try await client.stamp(deps)
                let stamp = Stamp(epoch: stamped.epoch, lsn: stamped.lsn)
                #expect(try await client.register(name: "page", stamp: stamp, deps: deps).registered)
                #expect(try await client.check(name: "page") == .valid)
                let write = try await client.write([Change(table: "items", keys: ["199"])])
                #expect(write.invalidated == ["page"])
                #expect(try await client.check(name: "page") == Validity(reason: .unknown))
                await client.close()
            }
        }

        /// The name keys under the default prefix, read with etcdctl.
        static func nameKeys(on cluster: EtcdCluster) async throws -> [String] {
            let output = try await ShortCommand.run(
                "/usr/bin/etcdctl", ["--endpoints", cluster.endpointList, "get", "--prefix", "--keys-only", "/tidemark/n/"])
            return output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
    }
}
