import Testing
@testable import TidemarkStore

@Suite("Compaction")
struct CompactionTests {
    private func compact(_ fixture: StoreFixture, before: LSN) throws -> LSN {
        guard case .compacted(let oldest) = try fixture.apply(.compact(before: before)) else {
            Issue.record("compact did not answer .compacted")
            return 0
        }
        return oldest
    }

    @Test func compactDropsRecordsBelowTheBound() throws {
        let fixture = try StoreFixture()
        for index in 1...10 { try fixture.write(keyed("t", "\(index)")) }
        #expect(try compact(fixture, before: 4) == 4)
        let page = try fixture.log()
        #expect(page.oldest == 4)
        #expect(page.records.map(\.lsn) == Array(4...10))
        #expect(try fixture.store.statistics().records == 7)
        #expect(try fixture.store.statistics().oldest == 4)
        // Compaction writes no record and moves no LSN.
        #expect(try fixture.lsn == 10)
        #expect(try fixture.write(keyed("t", "x")) == 11)
    }

    @Test func compactNeverGoesPastTheNextLSN() throws {
        let fixture = try StoreFixture()
        for index in 1...5 { try fixture.write(keyed("t", "\(index)")) }
        #expect(try compact(fixture, before: 1_000) == 6)
        let page = try fixture.log()
        #expect(page.records.isEmpty)
        #expect(page.oldest == 6)
        #expect(page.next == 6)
        #expect(try fixture.lsn == 5)
        // New records land at the next LSN and are readable from the default start.
        try fixture.write(keyed("t", "new"))
        #expect(try fixture.log().records.map(\.lsn) == [6])
    }

    @Test func compactBelowTheOldestChangesNothing() throws {
        let fixture = try StoreFixture()
        for index in 1...5 { try fixture.write(keyed("t", "\(index)")) }
        #expect(try compact(fixture, before: 3) == 3)
        #expect(try compact(fixture, before: 2) == 3)
        #expect(try compact(fixture, before: 0) == 3)
        #expect(try compact(fixture, before: 3) == 3)
        #expect(try fixture.log().records.map(\.lsn) == [3, 4, 5])
    }

    @Test func compactOnAnEmptyStore() throws {
        let fixture = try StoreFixture()
        #expect(try compact(fixture, before: 10) == 1)
        #expect(try fixture.write(keyed("t", "a")) == 1)
        #expect(try fixture.log().records.map(\.lsn) == [1])
    }

    @Test func readingBelowTheOldestIsRefusedWithTheOldest() throws {
        let fixture = try StoreFixture()
        for index in 1...6 { try fixture.write(keyed("t", "\(index)")) }
        _ = try compact(fixture, before: 4)
        for from: LSN in [1, 3] {
            let error = #expect(throws: StoreError.self) { _ = try fixture.log(from: from) }
            #expect(error?.code == .compacted)
            #expect(error?.oldest == 4)
        }
        #expect(try fixture.log(from: 4).records.map(\.lsn) == [4, 5, 6])
    }

    @Test func versionsIntentsAndNamesSurviveCompaction() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))             // 1
        try fixture.write(wide("u"))                   // 2
        let begun = try fixture.begin([keyed("t", "b")]) // 3
        let stamp = try fixture.stamp()
        _ = try fixture.register("n", stamp: stamp, deps: [dep("t", "a"), dep("u")])
        try fixture.write(keyed("v", "c"))             // 4
        let deps = [dep("t"), dep("t", "a"), dep("t", "b"), dep("u"), dep("u", "z"), dep("v", "c")]
        let before = try fixture.store.stamp(deps)

        _ = try compact(fixture, before: 100)
        #expect(try fixture.store.stamp(deps) == before)
        #expect(try fixture.check(name: "n") == .valid)
        #expect(try fixture.store.intent(begun.id)?.state == .open)
        #expect(try !fixture.store.stamp([dep("t", "b")]).cacheable)

        // The intent whose begin record is gone still commits and still invalidates.
        let committed = try fixture.commit(begun.id)
        #expect(committed.lsn == 5)
        #expect(try fixture.version(dep("t", "b")) == 5)
        #expect(try fixture.write([keyed("u", "z")]).invalidated == ["n"])
        #expect(try fixture.log().records.map(\.kind) == [.commit, .write])
    }

    @Test func compactionInterleavedWithPaging() throws {
        let fixture = try StoreFixture()
        for index in 1...20 { try fixture.write(keyed("t", "\(index)")) }
        let first = try fixture.log(limit: 5)
        #expect(first.next == 6)
        _ = try compact(fixture, before: 10)
        let error = #expect(throws: StoreError.self) { _ = try fixture.log(from: first.next, limit: 5) }
        #expect(error?.oldest == 10)
        // Restarting from `oldest` continues cleanly.
        #expect(try fixture.log(from: 10, limit: 100).records.map(\.lsn) == Array(10...20))
    }
}
