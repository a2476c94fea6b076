import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("Advice read from a real server", .timeLimit(.minutes(1)))
struct AdviceClientTests {
    @Test func readActivityFromATimeReadsExactlyTheRecordsFromThatTimeOn() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            for index in 0..<60 {
                let change = index % 3 == 0 ? Change(table: "orders") : Change(table: "users", keys: ["\(index % 7)"])
                _ = try await client.write([change])
            }
            var records: [Record] = []
            try await client.readLog(limit: 1000) { records += $0 }
            let now = TimeSyntax.now()
            let all = try await client.readActivity(since: nil, until: now)
            #expect(all.records == 60)
            #expect(all.tables["orders"]?.writes == 20)
            #expect(all.tables["orders"]?.wideWrites == 20)
            #expect(all.tables["users"]?.writes == 40)
            #expect(all.tables["users"]?.distinctKeys == 7)
            // Bisecting for the start must not lose or add a record, whatever time is asked for.
            for record in records.enumerated().filter({ $0.offset % 9 == 0 }).map(\.element) {
                let expected = records.filter { $0.time >= record.time }.count
                let since = try await client.readActivity(since: record.time, until: now)
                #expect(since.records == expected, "since \(record.time) (lsn \(record.lsn))")
            }
            let none = try await client.readActivity(since: now + 1, until: now + 2)
            #expect(none.records == 0)
            // A table asked for appears even when it was never written.
            let named = try await client.readActivity(since: nil, until: now, tables: ["users", "ghost"])
            #expect(named.tables.keys.sorted() == ["ghost", "users"])
            #expect(named.tables["ghost"]?.writes == 0)
            let report = Advisor.advise(named, window: (records[0].time)...now)
            #expect(report.tables.map(\.table) == ["users", "ghost"])
            #expect(report.tables[1].recommendation.kind == .tableDeps)
            // The server's totals always come back; per-table counters when it has them.
            let stats = try await client.statsWithTables(["users"])
            #expect(stats.totals?["lsn"]?.uint64Value == 60)
            if let perTable = stats.perTable { #expect(perTable.keys == ["users"]) }
            await client.close()
        }
    }
}
