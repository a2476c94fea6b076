import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// `compact` and `stats` on the etcd backend, across two servers: a compaction through
    /// one is seen by the other's `log`, `watch` and `stats` at once; versions, intents and
    /// names are untouched; the CLI's `advise` and `report` run against an etcd server.
    @Suite struct EtcdCompactionTests {
        @Test func aCompactionThroughOneServerHoldsForTheOtherAndKeepsEveryAnswer() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let b = try await servers[1].connect()
                var lsns: [LSN] = []
                for key in 1...10 { lsns.append(try await a.write([Change(table: "users", keys: ["\(key)"])]).lsn) }
                let stamped = try await b.stamp([Dep(table: "users", key: "10")])
                let stamp = Stamp(epoch: stamped.epoch, lsn: stamped.lsn)
                #expect(try await a.register(name: "user:10", stamp: stamp, deps: [Dep(table: "users", key: "10")]).registered)
                let begun = try await a.begin([Change(table: "orders")], ttlMs: 60_000)
                let before = try await b.check(stamp: Stamp(epoch: stamp.epoch, lsn: lsns[2]), deps: [Dep(table: "users", key: "2")])

                #expect(try await a.compact(before: lsns[5]) == lsns[5])
                // Seen through the other server at once.
                await #expect { _ = try await b.log(LogMethod.Params(from: lsns[4])) } throws: {
                    EtcdServerTests.rpcCode($0) == RPCError.Code.compacted
                }
                await #expect { _ = try await b.watch(from: lsns[0]) } throws: {
                    EtcdServerTests.rpcCode($0) == RPCError.Code.compacted
                }
                let page = try await b.log()
                #expect(page.oldest == lsns[5])
                #expect(Array(page.records.map(\.lsn).prefix(5)) == Array(lsns[5...]))
                let stats = try await b.stats()
                #expect(stats["oldest"]?.uint64Value == lsns[5])
                // The five records left, the begin record and none below.
                #expect(stats["records"]?.uint64Value == 6)

                // Versions, names and intents are kept: every answer is the same.
                #expect(try await b.check(stamp: Stamp(epoch: stamp.epoch, lsn: lsns[2]), deps: [Dep(table: "users", key: "2")]) == before)
                #expect(try await b.check(name: "user:10") == .valid)
                #expect(try await b.stamp([Dep(table: "orders")]).cacheable == false)
                #expect(try await b.commit(intent: begun.intent).lsn > begun.lsn)

                // `oldest` never goes down, and never past the current LSN + 1.
                #expect(try await b.compact(before: 2) == lsns[5])
                let current = try await a.stamp([]).lsn
                #expect(try await b.compact(before: current + 1_000) == current + 1)
                #expect(try await a.log().records.isEmpty)
                await a.close()
                await b.close()
            }
        }

        /// `stats` has LMDB's members; per-table activity counts every server's records
        /// (fed by the watch) and this server's checks, so `advise` and `report` work.
        @Test func statsCountTheFleetsWritesAndAdviseAndReportRunOnIt() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let b = try await servers[1].connect()
                for key in 1...5 { _ = try await a.write([Change(table: "users", keys: ["\(key)"])]) }
                let last = try await a.write([Change(table: "orders")])
                let stamped = try await b.stamp([Dep(table: "users")])
                _ = try await b.check(stamp: Stamp(epoch: stamped.epoch, lsn: stamped.lsn), deps: [Dep(table: "users")])

                let stats = try await b.stats(tables: ["users", "orders"])
                for member in [
                    "lsn", "oldest", "records", "tables", "keys", "open_intents", "names", "used_bytes", "map_bytes", "sync",
                    "uptime_ms", "connections", "connections_accepted", "connections_refused", "commits", "mutations",
                    "writer_queue", "watchers", "checks", "counting_since",
                ] {
                    #expect(stats[member] != nil, "stats has no \(member)")
                }
                #expect(stats["lsn"]?.uint64Value ?? 0 >= last.lsn)
                #expect(stats["records"]?.uint64Value == 6)
                #expect(stats["tables"]?.uint64Value == 2 && stats["keys"]?.uint64Value == 5)
                #expect(stats["sync"]?.stringValue == "full")
                #expect(stats["checks"]?["valid"]?.uint64Value == 1)
                #expect(stats["per_table"]?["users"]?["writes"]?.uint64Value == 5)
                #expect(stats["per_table"]?["users"]?["checks"]?["valid"]?.uint64Value == 1)
                #expect(stats["per_table"]?["orders"]?["wide_writes"]?.uint64Value == 1)

                let advice = try await ShortCommand.run(
                    ChildProcess.tidemarkBinary, ["advise", "--socket", servers[1].socketPath, "--json"])
                #expect(advice.contains("\"users\""))
                let directory = try TemporaryDirectory()
                _ = try await ShortCommand.run(
                    ChildProcess.tidemarkBinary, ["report", "--socket", servers[1].socketPath, "--out", "\(directory.path)/r.html"])
                let html = try String(contentsOfFile: "\(directory.path)/r.html", encoding: .utf8)
                #expect(html.contains("users") && html.contains("orders"))
                await a.close()
                await b.close()
            }
        }
    }
}

extension EtcdSuites.EtcdCompactionTests {
    /// `--retain-records` on one server of two: it keeps the fleet's log to that many of the
    /// newest records, whichever server wrote them, counting records (LSNs have gaps).
    @Test func retentionOnOneServerKeepsTheNewestRecordsOfTheFleet() async throws {
        let cluster = try await EtcdCluster.start()
        let directory = try TemporaryDirectory()
        let retaining = try await EtcdServerProcess.start(
            socketPath: "\(directory.path)/a.sock", etcd: cluster.endpointList, arguments: ["--retain-records", "5"])
        let plain = try await EtcdServerProcess.start(socketPath: "\(directory.path)/b.sock", etcd: cluster.endpointList)
        do {
            let writer = try await plain.connect()
            var lsns: [LSN] = []
            for key in 1...20 {
                lsns.append(try await writer.write([Change(table: "users", keys: ["\(key)"])]).lsn)
                // Other keys take revisions between records: gaps the cut must not count.
                _ = try await writer.register(
                    name: "n\(key)", stamp: Stamp(epoch: try await writer.stamp([]).epoch, lsn: lsns.last!), deps: [])
            }
            let kept = try await Eventually.holds { try await writer.log().oldest == lsns[15] }
            #expect(kept)
            #expect(try await writer.log().records.map(\.lsn) == Array(lsns[15...]))
            #expect(try await writer.stats()["records"]?.uint64Value == 5)
            await writer.close()
            #expect(await retaining.terminate() == 0)
            #expect(await plain.terminate() == 0)
            await cluster.stop()
        } catch {
            await retaining.kill()
            await plain.kill()
            await cluster.stop()
            throw error
        }
    }
}
