import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("Caching advice from synthetic logs", .timeLimit(.minutes(1)))
struct AdvisorTests {
    private func advice(_ records: [Record], window: ClosedRange<Milliseconds>, table: String) throws -> TableAdvice {
        let report = Advisor.advise(records: records, window: window)
        return try #require(report.tables.first { $0.table == table })
    }

    @Test func aTableWrittenWideEvery100msIsNotAdvisedTableDepsWithALongTTL() throws {
        let orders = try advice(SyntheticLog.wideEvery100ms(), window: SyntheticLog.window(600_000), table: "orders")
        #expect(orders.writes == 6000)
        #expect(orders.wideShare == 1)
        #expect(orders.medianTableGap == 100)
        #expect(abs(orders.writeRate - 10) < 0.001)
        // Every entry, on the table or on any key of it, is gone within 100 ms.
        #expect(orders.tableValidity.fraction(at: 1000) == 0)
        #expect(orders.tableValidity.fraction(at: 60_000) == 0)
        #expect(orders.keyValidity.fraction(at: 1000) == 0)
        #expect(orders.tableValidity.halfLife == 0)
        #expect(orders.recommendation.kind == .doNotCache)
        #expect(orders.recommendation.kind != .tableDeps)
        #expect(!(orders.recommendation.kind == .ttl && (orders.recommendation.ttl ?? 0) >= 60_000))
        #expect(orders.recommendation.summary == "do not cache")
        #expect(orders.recommendation.reason.contains("100% wide"))
    }

    @Test func aTableWhoseWritesNameSingleKeysIsAdvisedKeyDeps() throws {
        let users = try advice(SyntheticLog.singleKeys(), window: SyntheticLog.window(600_000), table: "users")
        #expect(users.writes == 1200)
        #expect(users.wideWrites == 0)
        #expect(users.distinctKeys > 350)
        // A write every 500 ms: no table-dep entry survives a second.
        #expect(users.tableValidity.fraction(at: 1000) == 0)
        // Each key is written about every 200 s: e^(-60/200) ≈ 0.74 survive a minute.
        let minute = try #require(users.keyValidity.fraction(at: 60_000))
        #expect(minute > 0.6 && minute < 0.85, "key validity after 60 s was \(minute)")
        let tenSeconds = try #require(users.keyValidity.fraction(at: 10_000))
        #expect(tenSeconds > 0.9)
        #expect(users.recommendation.kind == .keyDeps)
        #expect(users.recommendation.deps == .key)
        #expect(users.recommendation.summary == "cache with key deps")
        #expect(users.keyValidity.halfLife >= 60_000)
    }

    @Test func aLowChurnTableIsAdvisedTableDepsWithALongLife() throws {
        // One write every 30 minutes for 2 hours.
        let records = SyntheticLog.records(every: 1_800_000, for: 7_200_000, offset: 900_000) { index in
            [Change(table: "settings", keys: ["\(index % 2)"])]
        }
        let settings = try advice(records, window: SyntheticLog.window(7_200_000), table: "settings")
        #expect(settings.writes == 4)
        let minute = try #require(settings.tableValidity.fraction(at: 60_000))
        #expect(minute > 0.95)
        #expect(settings.recommendation.kind == .tableDeps)
        #expect(settings.recommendation.ttl == nil)
        #expect(settings.tableValidity.halfLife >= 600_000)
        #expect(settings.medianTableGap == 1_800_000)
    }

    @Test func entriesThatLiveSecondsGetATTLOfAboutTheirLifetime() throws {
        // A wide write every 5 s: a stamp survives h with probability 1 - h/5 s.
        let records = SyntheticLog.records(every: 5000, for: 600_000) { _ in [Change(table: "feed")] }
        let feed = try advice(records, window: SyntheticLog.window(600_000), table: "feed")
        #expect(abs((feed.tableValidity.fraction(at: 1000) ?? 0) - 0.8) < 0.01)
        #expect(feed.tableValidity.fraction(at: 10_000) == 0)
        #expect(feed.tableValidity.halfLife == 2000)
        #expect(feed.recommendation.kind == .ttl)
        #expect(feed.recommendation.ttl == 2000)
        #expect(feed.recommendation.summary == "use a TTL of about 2 s (table deps)")
    }

    @Test func tablesInOneLogAreAdvisedApartMostWrittenFirst() throws {
        let settings = SyntheticLog.records(every: 300_000, for: 600_000, offset: 1) { _ in [Change(table: "settings")] }
        let records = SyntheticLog.merged(SyntheticLog.wideEvery100ms(), SyntheticLog.singleKeys(), settings)
        let report = Advisor.advise(records: records, window: SyntheticLog.window(600_000))
        #expect(report.records == records.count)
        #expect(report.tables.map(\.table) == ["orders", "users", "settings"])
        #expect(report.tables.map(\.recommendation.kind) == [.doNotCache, .keyDeps, .tableDeps])
        // Restricting the tables analysed leaves the others' numbers alone.
        let usersOnly = Advisor.advise(records: records, window: SyntheticLog.window(600_000), tables: ["users"])
        #expect(usersOnly.tables.map(\.table) == ["users"])
        #expect(usersOnly.tables[0].keyValidity == report.tables[1].keyValidity)
    }

    @Test func aRecordWithAWideAndAKeyedChangeOfOneTableCountsOnceAsWide() throws {
        let peer = Peer(pid: 1, uid: 1, gid: 1)
        let start = SyntheticLog.start
        let records = [
            Record(lsn: 1, time: start + 10, kind: .write, changes: [Change(table: "t", keys: ["a"]), Change(table: "t")], peer: peer),
            Record(lsn: 2, time: start + 20, kind: .begin, changes: [Change(table: "t", keys: ["b"])], peer: peer),
            Record(lsn: 3, time: start + 30, kind: .abort, changes: [Change(table: "t", keys: ["b"])], peer: peer),
            Record(lsn: 4, time: start + 40, kind: .commit, changes: [Change(table: "t", keys: ["b", "c"])], peer: peer),
            Record(lsn: 5, time: start + 50, kind: .expire, changes: [Change(table: "t", keys: ["b"])], peer: peer),
            Record(lsn: 6, time: start + 70, kind: .write, changes: [Change(table: "t", keys: ["b"]), Change(table: "t", keys: ["d"])], peer: peer),
        ]
        let t = try advice(records, window: SyntheticLog.window(1000), table: "t")
        // begin and abort advance nothing.
        #expect(t.writes == 4)
        #expect(t.wideWrites == 1)
        #expect(t.keysTouched == 2 + 1 + 2)
        #expect(t.distinctKeys == 3)
        #expect(t.hotKeys.first == HotKey(key: "b", writes: 3))
        #expect(t.hotKeys.map(\.key) == ["b", "c", "d"])
        // b was named at 40, 50 and 70: gaps 10 and 20, median 15; the table's gaps 30, 10, 20.
        #expect(t.medianKeyGap == 15)
        #expect(t.medianTableGap == 20)
        #expect(t.keysWrittenAgain == 1)
    }

    @Test func windowsShorterThanAHorizonLeaveItUnmeasured() throws {
        let records = SyntheticLog.records(every: 1000, for: 30_000) { _ in [Change(table: "t", keys: ["k"])] }
        let t = try advice(records, window: SyntheticLog.window(30_000), table: "t")
        #expect(t.tableValidity.fraction(at: 60_000) == nil)
        #expect(t.tableValidity.fraction(at: 10_000) == 0)
        let json = Advisor.advise(records: records, window: SyntheticLog.window(30_000)).json
        let after = json["tables"]?.arrayValue?.first?["validity"]?["table"]?["after"]
        #expect(after?["60000ms"] == .null)
        #expect(after?["1000ms"]?.doubleValue == 0)
    }

    @Test func textAndJSONCarryTheAdviceAndItsNumbers() throws {
        let records = SyntheticLog.merged(SyntheticLog.wideEvery100ms(), SyntheticLog.singleKeys())
        let report = Advisor.advise(records: records, window: SyntheticLog.window(600_000))
        let text = report.text
        #expect(text.contains("TABLE"))
        #expect(text.contains("KEY DEPS 1s/10s/60s"))
        #expect(text.contains("orders: do not cache"))
        #expect(text.contains("users: cache with key deps"))
        #expect(text.contains("hot keys (writes): "))
        #expect(text.contains(AdviceReport.keySampling))
        let json = report.json
        #expect(json["records"]?.uint64Value == UInt64(records.count))
        let tables = try #require(json["tables"]?.arrayValue)
        #expect(tables.map { $0["advice"]?["kind"]?.stringValue } == ["do_not_cache", "key_deps"])
        #expect(tables[0]["write_rate"]?.doubleValue == 10)
        #expect(tables[1]["hot_keys"]?.arrayValue?.count == 5)
        #expect(json["sampling"]?["keys"]?.stringValue == AdviceReport.keySampling)
    }
}
