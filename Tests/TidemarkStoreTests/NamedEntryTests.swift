import Testing
@testable import TidemarkStore

@Suite("Named entries")
struct NamedEntryTests {
    @Test func registeringAValidStampStoresTheName() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        let result = try fixture.register("page:1", stamp: stamp, deps: [dep("t", "a"), dep("t"), dep("t", "a")], ttl: 60_000)
        #expect(result.registered)
        #expect(result.valid)
        let entry = try #require(try fixture.store.namedEntry("page:1"))
        #expect(entry.stamp == stamp)
        #expect(entry.deps == [dep("t", "a"), dep("t")], "duplicate deps are kept once")
        #expect(entry.expiresAt == fixture.clock.value + 60_000)
        #expect(try fixture.check(name: "page:1") == .valid)
        #expect(try fixture.store.statistics().names == 1)
    }

    @Test func registeringAStaleStampIsRefusedAndDropsTheEarlierEntry() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let old = try fixture.stamp()
        #expect(try fixture.register("n", stamp: old, deps: [dep("u")]) == (true, true))
        try fixture.write(keyed("t", "a"))

        let result = try fixture.register("n", stamp: old, deps: [dep("t", "a")])
        #expect(result.registered == false)
        #expect(result.valid == false)
        #expect(try fixture.store.namedEntry("n") == nil)
        #expect(try fixture.check(name: "n") == Validity(reason: .unknown))
    }

    @Test(arguments: ["future", "epoch"])
    func registeringAFutureOrForeignStampIsRefused(kind: String) throws {
        let fixture = try StoreFixture()
        let stamp = kind == "future"
            ? Stamp(epoch: fixture.epoch, lsn: 5)
            : Stamp(epoch: Epoch(high: 7, low: 7), lsn: 0)
        #expect(try fixture.register("n", stamp: stamp, deps: []) == (false, false))
        #expect(try fixture.store.namedEntry("n") == nil)
    }

    @Test func reRegisteringReplacesTheEntryAndItsDeps() throws {
        let fixture = try StoreFixture()
        let stamp = try fixture.stamp()
        _ = try fixture.register("n", stamp: stamp, deps: [dep("t", "a")])
        _ = try fixture.register("n", stamp: stamp, deps: [dep("u", "b")])
        // The first registration's dep no longer reaches the name.
        #expect(try fixture.write([keyed("t", "a")]).invalidated == [])
        #expect(try fixture.check(name: "n") == .valid)
        #expect(try fixture.write([keyed("u", "b")]).invalidated == ["n"])
    }

    @Test func registeringWhileAnIntentCoversADepIsRefused() throws {
        let fixture = try StoreFixture()
        let begun = try fixture.begin([keyed("t", "a")])
        let stamp = try fixture.stamp()
        #expect(try fixture.register("n", stamp: stamp, deps: [dep("t", "a")]) == (false, false))
        #expect(try fixture.register("table", stamp: stamp, deps: [dep("t")]) == (false, false))
        #expect(try fixture.register("other", stamp: stamp, deps: [dep("t", "b")]) == (true, true))
        _ = try fixture.abort(begun.id)
        #expect(try fixture.register("n", stamp: stamp, deps: [dep("t", "a")]) == (true, true))
    }

    /// Names on t (table), t:a, t:b, u (table) and u:a, registered at the current stamp.
    private func registerGrid(_ fixture: StoreFixture) throws {
        try fixture.write(keyed("seed", "x"))
        let stamp = try fixture.stamp()
        for (name, deps) in [
            ("on-t", [dep("t")]), ("on-t:a", [dep("t", "a")]), ("on-t:b", [dep("t", "b")]),
            ("on-u", [dep("u")]), ("on-u:a", [dep("u", "a")]), ("on-t:a+u:a", [dep("t", "a"), dep("u", "a")]),
        ] {
            #expect(try fixture.register(name, stamp: stamp, deps: deps) == (true, true))
        }
    }

    @Test func aKeyedWriteInvalidatesNamesOnThatKeyAndOnTheTable() throws {
        let fixture = try StoreFixture()
        try registerGrid(fixture)
        let batch = try fixture.store.apply([MutationRequest(.write(changes: [keyed("t", "a")], meta: nil), peer: alice)])
        guard case .written(_, let invalidated) = try batch.outcomes[0].get() else {
            Issue.record("not written")
            return
        }
        #expect(Set(invalidated) == ["on-t", "on-t:a", "on-t:a+u:a"])
        #expect(invalidated.count == 3)
        #expect(batch.records.count == 1)
        #expect(Set(batch.records[0].invalidated) == Set(invalidated))

        for name in ["on-t", "on-t:a", "on-t:a+u:a"] {
            #expect(try fixture.check(name: name) == Validity(reason: .unknown))
            #expect(try fixture.store.namedEntry(name) == nil)
        }
        for name in ["on-t:b", "on-u", "on-u:a"] {
            #expect(try fixture.check(name: name) == .valid)
        }
        // The dropped name left nothing behind in the index: writing u:a reaches only on-u:a
        // and on-u.
        #expect(Set(try fixture.write([keyed("u", "a")]).invalidated) == ["on-u", "on-u:a"])
    }

    @Test func aWideWriteInvalidatesEveryNameOfTheTable() throws {
        let fixture = try StoreFixture()
        try registerGrid(fixture)
        let (_, invalidated) = try fixture.write([wide("t")])
        #expect(Set(invalidated) == ["on-t", "on-t:a", "on-t:b", "on-t:a+u:a"])
        #expect(invalidated.count == 4)
        for name in ["on-u", "on-u:a"] {
            #expect(try fixture.check(name: name) == .valid)
        }
        #expect(try fixture.store.statistics().names == 2)
    }

    @Test func aWideWriteDoesNotReachTablesWithSimilarNames() throws {
        let fixture = try StoreFixture()
        let stamp = try fixture.stamp()
        for table in ["t", "tt", "t2", "a", "ta"] {
            _ = try fixture.register("on-\(table)", stamp: stamp, deps: [dep(table, "k")])
            _ = try fixture.register("on-\(table)-table", stamp: stamp, deps: [dep(table)])
        }
        #expect(Set(try fixture.write([wide("t")]).invalidated) == ["on-t", "on-t-table"])
        #expect(Set(try fixture.write([keyed("tt", "x")]).invalidated) == ["on-tt-table"])
        #expect(try fixture.store.statistics().names == 7)
    }

    @Test func aCommitAndAnExpiryInvalidateLikeAWrite() throws {
        let fixture = try StoreFixture()
        let stamp = try fixture.stamp()
        _ = try fixture.register("a", stamp: stamp, deps: [dep("t", "a")])
        _ = try fixture.register("b", stamp: stamp, deps: [dep("t", "b")])

        let first = try fixture.begin([keyed("t", "a")])
        let second = try fixture.begin([keyed("t", "b")], lease: 100)
        // While open, a covered name reads as pending but stays registered.
        #expect(try fixture.check(name: "a") == Validity(reason: .pending, pending: [dep("t", "a")]))
        #expect(try fixture.commit(first.id).invalidated == ["a"])
        #expect(try fixture.check(name: "a").reason == .unknown)

        fixture.clock.advance(by: 100)
        let batch = try fixture.store.apply([MutationRequest(.housekeeping, peer: bob)])
        #expect(batch.records.map(\.record.kind) == [.expire])
        #expect(batch.records.map(\.record.intent) == [second.id])
        #expect(batch.records.map(\.invalidated) == [["b"]])
        #expect(try fixture.check(name: "b").reason == .unknown)
    }

    @Test func anAbortInvalidatesNothing() throws {
        let fixture = try StoreFixture()
        let stamp = try fixture.stamp()
        _ = try fixture.register("a", stamp: stamp, deps: [dep("t", "a")])
        let begun = try fixture.begin([wide("t")])
        _ = try fixture.abort(begun.id)
        #expect(try fixture.check(name: "a") == .valid)
    }

    @Test func checkByNameFollowsTheEntrysLife() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        _ = try fixture.register("short", stamp: stamp, deps: [dep("t", "a")], ttl: 1_000)
        _ = try fixture.register("long", stamp: stamp, deps: [dep("t", "b")], ttl: 10_000)
        #expect(try fixture.check(name: "short") == .valid)
        #expect(try fixture.check(name: "never") == Validity(reason: .unknown))

        fixture.clock.advance(by: 999)
        #expect(try fixture.check(name: "short") == .valid)
        fixture.clock.advance(by: 1)
        #expect(try fixture.check(name: "short") == Validity(reason: .expired))
        #expect(try fixture.check(name: "long") == .valid)

        let housekept = try fixture.housekeeping()
        #expect(housekept.purgedNames == 1)
        #expect(try fixture.check(name: "short") == Validity(reason: .unknown))
        #expect(try fixture.store.namedEntry("short") == nil)
        #expect(try fixture.check(name: "long") == .valid)
        // The purged name left no reverse-index entry behind.
        #expect(try fixture.write([keyed("t", "a")]).invalidated == [])
        #expect(try fixture.write([keyed("t", "b")]).invalidated == ["long"])
    }

    @Test func housekeepingPurgesAtMostABatchOfNames() throws {
        var options = StoreFixture.fastOptions
        options.purgeBatch = 3
        let fixture = try StoreFixture(options: options)
        let stamp = try fixture.stamp()
        for index in 0..<7 {
            _ = try fixture.register("n\(index)", stamp: stamp, deps: [dep("t", "\(index)")], ttl: 10)
        }
        fixture.clock.advance(by: 10)
        #expect(try fixture.housekeeping().purgedNames == 3)
        #expect(try fixture.housekeeping().purgedNames == 3)
        #expect(try fixture.housekeeping().purgedNames == 1)
        #expect(try fixture.housekeeping().purgedNames == 0)
        #expect(try fixture.store.statistics().names == 0)
    }

    @Test func aNameWithoutDepsLivesUntilItsTTL() throws {
        let fixture = try StoreFixture()
        _ = try fixture.register("free", stamp: try fixture.stamp(), deps: [], ttl: 50)
        try fixture.write(wide("t"))
        #expect(try fixture.check(name: "free") == .valid)
        fixture.clock.advance(by: 50)
        #expect(try fixture.check(name: "free").reason == .expired)
    }

    @Test func aHugeTTLDoesNotOverflow() throws {
        let fixture = try StoreFixture()
        #expect(try fixture.register("forever", stamp: try fixture.stamp(), deps: [dep("t")], ttl: .max) == (true, true))
        #expect(try fixture.store.namedEntry("forever")?.expiresAt == .max)
        fixture.clock.advance(by: 1_000_000_000)
        #expect(try fixture.check(name: "forever") == .valid)
    }

    @Test func namesWithUnusualBytesRoundTrip() throws {
        let fixture = try StoreFixture()
        let stamp = try fixture.stamp()
        let names = ["ünïcødé/キー", "with space", "a\u{0}b", String(repeating: "n", count: 256)]
        for name in names {
            #expect(try fixture.register(name, stamp: stamp, deps: [dep("t", name)]) == (true, true))
        }
        for name in names {
            #expect(try fixture.check(name: name) == .valid)
            #expect(try fixture.store.namedEntry(name)?.deps == [dep("t", name)])
        }
        #expect(Set(try fixture.write([wide("t")]).invalidated) == Set(names))
    }
}
