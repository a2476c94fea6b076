import Testing
@testable import TidemarkStore

/// The version and validity rules of BRIEF §2.
@Suite("Version rules")
struct VersionRulesTests {
    @Test func aNewStoreStartsAtZeroWithEveryVersionZero() throws {
        let fixture = try StoreFixture()
        #expect(try fixture.lsn == 0)
        let result = try fixture.store.stamp([dep("t"), dep("t", "k"), dep("other", "x")])
        #expect(result.epoch == fixture.epoch)
        #expect(result.lsn == 0)
        #expect(result.versions == [0, 0, 0])
        #expect(result.cacheable)
        #expect(try fixture.store.stamp([]).versions == [])
    }

    @Test func neverWrittenDepsStayZeroAfterOtherWrites() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        try fixture.write(wide("u"))
        #expect(try fixture.versions([dep("v"), dep("v", "a"), dep("t", "b")]) == [0, 0, 0])
    }

    @Test func aKeyedWriteRaisesTheTableAndOnlyTheNamedKeys() throws {
        let fixture = try StoreFixture()
        let first = try fixture.write(keyed("t", "a", "b"))
        #expect(first == 1)
        #expect(try fixture.versions([dep("t"), dep("t", "a"), dep("t", "b"), dep("t", "c")]) == [1, 1, 1, 0])

        let second = try fixture.write(keyed("t", "b"))
        #expect(second == 2)
        #expect(try fixture.versions([dep("t"), dep("t", "a"), dep("t", "b"), dep("t", "c")]) == [2, 1, 2, 0])
        // Another table is untouched.
        #expect(try fixture.versions([dep("u"), dep("u", "a")]) == [0, 0])
    }

    @Test(arguments: [nil, [String]()])
    func aWideChangeRaisesTheTableAndEveryKey(keys: [String]?) throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        try fixture.write(keyed("u", "a"))
        let lsn = try fixture.write(Change(table: "t", keys: keys))
        #expect(lsn == 3)
        // Written and never-written keys alike.
        #expect(try fixture.versions([dep("t"), dep("t", "a"), dep("t", "never")]) == [3, 3, 3])
        #expect(try fixture.versions([dep("u"), dep("u", "a"), dep("u", "never")]) == [2, 2, 0])

        // A later keyed write raises only its key above the wide version.
        try fixture.write(keyed("t", "b"))
        #expect(try fixture.versions([dep("t"), dep("t", "a"), dep("t", "b"), dep("t", "never")]) == [4, 3, 4, 3])
    }

    @Test func anEmptyKeyListIsNormalisedToWide() {
        #expect(Change(table: "t", keys: []).isWide)
        #expect(Change(table: "t", keys: []).keys == nil)
        #expect(Change(table: "t", keys: []) == Change(table: "t"))
        #expect(!Change(table: "t", keys: ["a"]).isWide)
    }

    @Test func oneWriteWithSeveralChangesGetsOneLSN() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("x", "1"))
        let (lsn, _) = try fixture.write([keyed("a", "1", "2"), wide("b"), keyed("c", "9"), keyed("a", "3")])
        #expect(lsn == 2)
        #expect(try fixture.lsn == 2)
        #expect(
            try fixture.versions([dep("a"), dep("a", "1"), dep("a", "2"), dep("a", "3"), dep("a", "4"),
                                  dep("b"), dep("b", "any"), dep("c"), dep("c", "9"), dep("c", "8"), dep("x", "1")])
                == [2, 2, 2, 2, 0, 2, 2, 2, 2, 0, 1])
        let records = try fixture.records()
        #expect(records.map(\.lsn) == [1, 2])
        #expect(records[1].changes.count == 4)
    }

    @Test func aWideAndAKeyedChangeOfOneTableInOneRecordCombine() throws {
        let fixture = try StoreFixture()
        try fixture.write([keyed("t", "a"), wide("t")])
        try fixture.write([wide("u"), keyed("u", "a")])
        #expect(try fixture.versions([dep("t"), dep("t", "a"), dep("t", "z")]) == [1, 1, 1])
        #expect(try fixture.versions([dep("u"), dep("u", "a"), dep("u", "z")]) == [2, 2, 2])
    }

    @Test func lsnsIncreaseByOnePerRecordAcrossBatches() throws {
        let fixture = try StoreFixture()
        var expected: LSN = 0
        for round in 0..<5 {
            let requests = (0...round).map { index in
                MutationRequest(.write(changes: [keyed("t", "k\(index)")], meta: nil), peer: alice)
            }
            let batch = try fixture.store.apply(requests)
            var lsns: [LSN] = []
            for outcome in batch.outcomes {
                guard case .written(let lsn, _) = try outcome.get() else {
                    Issue.record("not written")
                    continue
                }
                lsns.append(lsn)
            }
            #expect(lsns == Array(expected + 1...expected + LSN(round + 1)))
            #expect(batch.records.map(\.record.lsn) == lsns)
            expected += LSN(round + 1)
            #expect(try fixture.lsn == expected)
        }
        #expect(try fixture.records().map(\.lsn) == Array(1...expected))
    }

    @Test func aBatchSeesItsOwnEarlierWrites() throws {
        let fixture = try StoreFixture()
        let stamp = Stamp(epoch: fixture.epoch, lsn: 1)
        let batch = try fixture.store.apply([
            MutationRequest(.write(changes: [keyed("t", "a")], meta: nil), peer: alice),
            // Stamped at 1, which the first write of the batch just reached: valid.
            MutationRequest(.register(name: "n", stamp: stamp, deps: [dep("t", "a")], ttl: 1000), peer: alice),
            MutationRequest(.write(changes: [keyed("t", "a")], meta: nil), peer: alice),
        ])
        #expect(try batch.outcomes[1].get() == .registered(registered: true, valid: true))
        #expect(try batch.outcomes[2].get() == .written(lsn: 2, invalidated: ["n"]))
    }

    // MARK: Validity

    @Test func validWhenEveryDepIsAtOrBelowTheStamp() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        #expect(stamp.lsn == 1)
        #expect(try fixture.check(stamp, [dep("t"), dep("t", "a"), dep("t", "b"), dep("u")]) == .valid)
        #expect(try fixture.check(stamp, []) == .valid)
        // A write elsewhere leaves the entry valid.
        try fixture.write(keyed("t", "b"), wide("u2"))
        #expect(try fixture.check(stamp, [dep("t", "a")]) == .valid)
    }

    @Test func changedListsExactlyTheDepsAboveTheStampWithTheirVersions() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        try fixture.write(keyed("t", "b"))
        try fixture.write(wide("u"))
        let validity = try fixture.check(stamp, [dep("t", "a"), dep("t"), dep("t", "b"), dep("u", "x"), dep("v")])
        #expect(validity.reason == .changed)
        #expect(!validity.isValid)
        #expect(validity.changed == [
            VersionedDep(dep: dep("t"), version: 2),
            VersionedDep(dep: dep("t", "b"), version: 2),
            VersionedDep(dep: dep("u", "x"), version: 3),
        ])
        #expect(validity.pending.isEmpty)
    }

    @Test func aStampAtADepsExactVersionIsValid() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        try fixture.write(keyed("t", "a"))
        #expect(try fixture.check(Stamp(epoch: fixture.epoch, lsn: 2), [dep("t", "a")]) == .valid)
        #expect(try fixture.check(Stamp(epoch: fixture.epoch, lsn: 1), [dep("t", "a")]).reason == .changed)
    }

    @Test func aStampAheadOfTheStoreIsFuture() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        #expect(try fixture.check(Stamp(epoch: fixture.epoch, lsn: 2), []) == Validity(reason: .future))
        #expect(try fixture.check(Stamp(epoch: fixture.epoch, lsn: .max), [dep("t")]).reason == .future)
        try fixture.write(keyed("t", "b"))
        #expect(try fixture.check(Stamp(epoch: fixture.epoch, lsn: 2), [dep("t", "a")]) == .valid)
    }

    @Test func aStampOfAnotherEpochIsNeverValid() throws {
        let fixture = try StoreFixture()
        let other = try StoreFixture()
        #expect(fixture.epoch != other.epoch)
        let foreign = Stamp(epoch: other.epoch, lsn: 0)
        #expect(try fixture.check(foreign, []) == Validity(reason: .epoch))
        try fixture.write(keyed("t", "a"))
        #expect(try fixture.check(Stamp(epoch: other.epoch, lsn: 1), [dep("u")]).reason == .epoch)
    }

    @Test func reasonPrecedenceIsEpochFutureChangedPending() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stale = try fixture.stamp()
        try fixture.write(keyed("t", "a"))
        _ = try fixture.begin([keyed("t", "a")])
        let lsn = try fixture.lsn
        let other = Epoch(high: fixture.epoch.high ^ 1, low: fixture.epoch.low)

        // All four apply: epoch.
        #expect(try fixture.check(Stamp(epoch: other, lsn: lsn + 1), [dep("t", "a")]).reason == .epoch)
        // Future, changed and pending would apply: future.
        #expect(try fixture.check(Stamp(epoch: fixture.epoch, lsn: lsn + 1), [dep("t", "a")]).reason == .future)
        // Changed and pending: changed, with the pending dep still listed.
        let both = try fixture.check(stale, [dep("t", "a")])
        #expect(both.reason == .changed)
        #expect(both.changed == [VersionedDep(dep: dep("t", "a"), version: 2)])
        #expect(both.pending == [dep("t", "a")])
        // Only pending.
        let pending = try fixture.check(Stamp(epoch: fixture.epoch, lsn: lsn), [dep("t", "a")])
        #expect(pending.reason == .pending)
        #expect(pending.changed.isEmpty)
        #expect(pending.pending == [dep("t", "a")])
    }

    @Test func checkAnswersEveryQueryInOrder() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let first = try fixture.stamp()
        try fixture.write(keyed("t", "b"))
        let second = try fixture.stamp()
        _ = try fixture.register("named", stamp: second, deps: [dep("t", "a")])
        let other = Epoch(high: 1, low: 2)
        let answers = try fixture.store.check([
            .stamp(first, deps: [dep("t", "a")]),
            .stamp(first, deps: [dep("t", "b")]),
            .stamp(Stamp(epoch: other, lsn: 1), deps: []),
            .name("named"),
            .stamp(Stamp(epoch: fixture.epoch, lsn: 99), deps: []),
            .name("nobody"),
        ])
        #expect(answers == [
            .valid,
            Validity(reason: .changed, changed: [VersionedDep(dep: dep("t", "b"), version: 2)]),
            Validity(reason: .epoch),
            .valid,
            Validity(reason: .future),
            Validity(reason: .unknown),
        ])
        #expect(try fixture.store.check([]) == [])
    }

    @Test func stampReadsVersionsAndLSNTogether() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        try fixture.write(keyed("t", "b"))
        let result = try fixture.store.stamp([dep("t", "b"), dep("t", "a"), dep("t", "b")])
        #expect(result.lsn == 2)
        #expect(result.versions == [2, 1, 2])
        #expect(result.cacheable)
    }

    @Test func epochHexRoundTrips() throws {
        let epoch = Epoch(high: 0x0123_4567_89AB_CDEF, low: 0xF)
        #expect(epoch.hex == "0123456789abcdef000000000000000f")
        #expect(Epoch(hex: epoch.hex) == epoch)
        #expect(Epoch(hex: "0123456789ABCDEF000000000000000F") == epoch)
        #expect(Epoch(hex: "0123") == nil)
        #expect(Epoch(hex: "0123456789abcdef000000000000000g") == nil)
        let fixture = try StoreFixture()
        #expect(fixture.epoch.hex.count == 32)
        #expect(Epoch(hex: fixture.epoch.hex) == fixture.epoch)
    }
}
