import Testing
@testable import TidemarkStore

@Suite("Change log")
struct LogTests {
    @Test func recordsRoundTripEveryField() throws {
        let fixture = try StoreFixture()
        let meta = Array(#"{"user":"ünï","n":[1,2]}"#.utf8)
        let negativePID = Peer(pid: -5, uid: .max, gid: 0)
        try fixture.write([keyed("t", "a", "b"), wide("u"), Change(table: "v", keys: [])], meta: meta, peer: alice)
        let firstTime = fixture.clock.value
        fixture.clock.advance(by: 1_234)
        let begun = try fixture.begin([keyed("w", "k")], meta: nil, peer: negativePID)
        fixture.clock.advance(by: 1)
        _ = try fixture.commit(begun.id, peer: bob)

        let records = try fixture.records()
        #expect(records.count == 3)
        #expect(records[0] == Record(
            lsn: 1, time: firstTime, kind: .write,
            changes: [keyed("t", "a", "b"), wide("u"), wide("v")], intent: nil, meta: meta, peer: alice))
        #expect(records[0].changes[1].keys == nil, "a wide change keeps its wide form")
        #expect(records[0].changes[2].keys == nil)
        #expect(records[1] == Record(
            lsn: 2, time: firstTime + 1_234, kind: .begin, changes: [keyed("w", "k")],
            intent: begun.id, meta: nil, peer: negativePID))
        #expect(records[2] == Record(
            lsn: 3, time: firstTime + 1_235, kind: .commit, changes: [keyed("w", "k")],
            intent: begun.id, meta: nil, peer: bob))
    }

    @Test func emptyMetaIsDistinctFromNoMeta() throws {
        let fixture = try StoreFixture()
        try fixture.write([keyed("t", "a")], meta: [])
        try fixture.write([keyed("t", "a")], meta: nil)
        let records = try fixture.records()
        #expect(records[0].meta == [])
        #expect(records[1].meta == nil)
    }

    @Test func theBatchReportsTheRecordsItAppended() throws {
        let fixture = try StoreFixture()
        let batch = try fixture.store.apply([
            MutationRequest(.write(changes: [keyed("t", "a")], meta: Array("1".utf8)), peer: alice),
            MutationRequest(.begin(changes: [wide("u")], lease: 100, meta: nil), peer: bob),
            MutationRequest(.register(name: "n", stamp: Stamp(epoch: fixture.epoch, lsn: 0), deps: [], ttl: 5), peer: bob),
        ])
        #expect(batch.records.map(\.record.kind) == [.write, .begin])
        #expect(batch.records.map(\.record) == (try fixture.records()))
    }

    @Test func anEmptyLogReadsAsEmpty() throws {
        let fixture = try StoreFixture()
        let page = try fixture.log()
        #expect(page.records.isEmpty)
        #expect(page.oldest == 1)
        #expect(page.next == 1)
    }

    @Test func fromAndLimitSelectAWindow() throws {
        let fixture = try StoreFixture()
        for index in 1...10 { try fixture.write(keyed("t", "\(index)")) }
        let page = try fixture.log(from: 4, limit: 3)
        #expect(page.records.map(\.lsn) == [4, 5, 6])
        #expect(page.next == 7)
        #expect(page.oldest == 1)

        let tail = try fixture.log(from: 9, limit: 100)
        #expect(tail.records.map(\.lsn) == [9, 10])
        #expect(tail.next == 11)

        let beyond = try fixture.log(from: 11, limit: 100)
        #expect(beyond.records.isEmpty)
        #expect(beyond.next == 11)

        let none = try fixture.log(from: 3, limit: 0)
        #expect(none.records.isEmpty)
        #expect(none.next == 3)

        #expect(try fixture.log(limit: 2).records.map(\.lsn) == [1, 2])
    }

    @Test func tablesFilterKeepsRecordsTouchingAnyListedTable() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("a", "1"))              // 1
        try fixture.write(keyed("b", "1"))              // 2
        try fixture.write([wide("c"), keyed("a", "2")]) // 3
        try fixture.write(keyed("d", "1"))              // 4
        try fixture.write(wide("b"))                    // 5
        #expect(try fixture.log(tables: ["a"]).records.map(\.lsn) == [1, 3])
        #expect(try fixture.log(tables: ["b", "c"]).records.map(\.lsn) == [2, 3, 5])
        #expect(try fixture.log(tables: ["zzz"]).records.isEmpty)
        #expect(try fixture.log(tables: []).records.isEmpty)
        // A filtered record keeps all its changes.
        #expect(try fixture.log(tables: ["c"]).records.first?.changes == [wide("c"), keyed("a", "2")])

        // `next` moves past what was scanned, matching or not.
        let page = try fixture.log(from: 1, limit: 1, tables: ["b"])
        #expect(page.records.map(\.lsn) == [2])
        #expect(page.next == 3)
        let rest = try fixture.log(from: page.next, limit: 10, tables: ["b"])
        #expect(rest.records.map(\.lsn) == [5])
        #expect(rest.next == 6)
        let empty = try fixture.log(from: 1, limit: 10, tables: ["zzz"])
        #expect(empty.next == 6, "a page with no match still says where to continue")
    }

    @Test(arguments: [1, 7, 50, 1000])
    func pagingVisitsEveryRecordOnce(pageSize: Int) throws {
        let fixture = try StoreFixture()
        let total = 300
        for index in 0..<total {
            try fixture.write(index % 3 == 0 ? wide("t\(index % 5)") : keyed("t\(index % 5)", "k\(index)"))
        }
        var seen: [LSN] = []
        var from: LSN? = nil
        var pages = 0
        while pages <= total + 2 {
            let page = try fixture.log(from: from, limit: pageSize)
            pages += 1
            if page.records.isEmpty { break }
            #expect(page.records.count <= pageSize)
            seen += page.records.map(\.lsn)
            #expect(page.next == page.records.last!.lsn + 1)
            from = page.next
        }
        #expect(seen == Array(1...LSN(total)))

        // The same with a filter: each matching record once, in order.
        var filtered: [LSN] = []
        from = nil
        pages = 0
        while pages <= total + 2 {
            let page = try fixture.log(from: from, limit: pageSize, tables: ["t2"])
            pages += 1
            filtered += page.records.map(\.lsn)
            if page.next > LSN(total) { break }
            from = page.next
        }
        let matching: [LSN] = (0..<total).filter { $0 % 5 == 2 }.map { LSN($0 + 1) }
        #expect(filtered == matching)
    }

    @Test func pagingWhileWritingHasNoGapAndNoDuplicate() throws {
        let fixture = try StoreFixture()
        var seen: [LSN] = []
        var from: LSN? = nil
        for round in 0..<60 {
            for index in 0..<5 { try fixture.write(keyed("t", "\(round)-\(index)")) }
            let page = try fixture.log(from: from, limit: 4)
            seen += page.records.map(\.lsn)
            from = page.next
        }
        for _ in 0..<100 {
            let page = try fixture.log(from: from, limit: 4)
            if page.records.isEmpty { break }
            seen += page.records.map(\.lsn)
            from = page.next
        }
        #expect(seen == Array(1...300))
    }

    @Test func timesComeFromTheClock() throws {
        let fixture = try StoreFixture()
        var expected: [Milliseconds] = []
        for step in [0, 5, 1_000, 0, 86_400_000] as [Milliseconds] {
            fixture.clock.advance(by: step)
            expected.append(fixture.clock.value)
            try fixture.write(keyed("t", "a"))
        }
        #expect(try fixture.records().map(\.time) == expected)
    }
}
