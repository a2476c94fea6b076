import Testing
@testable import TidemarkStore

@Suite("Intents")
struct IntentTests {
    @Test func beginWritesABeginRecordAndAdvancesNoVersion() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let begun = try fixture.begin([keyed("t", "a")], lease: 5_000, meta: Array(#"{"tx":1}"#.utf8))
        #expect(begun.lsn == 2)
        #expect(begun.expiresAt == fixture.clock.value + 5_000)
        #expect(begun.id.count == 32)
        #expect(try fixture.lsn == 2)
        #expect(try fixture.versions([dep("t"), dep("t", "a")]) == [1, 1])

        let record = try #require(try fixture.log(from: 2).records.first)
        #expect(record.kind == .begin)
        #expect(record.intent == begun.id)
        #expect(record.changes == [keyed("t", "a")])
        #expect(record.meta == Array(#"{"tx":1}"#.utf8))

        let intent = try #require(try fixture.store.intent(begun.id))
        #expect(intent.state == .open)
        #expect(intent.beginLSN == 2)
        #expect(intent.peer == alice)
        #expect(intent.expiresAt == begun.expiresAt)
        #expect(intent.closedAt == 0)
    }

    @Test func intentIDsAreDistinct() throws {
        let fixture = try StoreFixture()
        var ids = Set<String>()
        for _ in 0..<20 { ids.insert(try fixture.begin([keyed("t", "a")]).id) }
        #expect(ids.count == 20)
    }

    @Test func aKeyIntentCoversThatKeyAndItsTableOnly() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        _ = try fixture.begin([keyed("t", "a")])
        let stamp = try fixture.stamp()

        #expect(try !fixture.store.stamp([dep("t", "a")]).cacheable)
        #expect(try !fixture.store.stamp([dep("t")]).cacheable)
        #expect(try !fixture.store.stamp([dep("t", "b"), dep("t")]).cacheable)
        #expect(try fixture.store.stamp([dep("t", "b")]).cacheable)
        #expect(try fixture.store.stamp([dep("u"), dep("u", "a")]).cacheable)

        let validity = try fixture.check(stamp, [dep("t", "a"), dep("t"), dep("t", "b"), dep("u", "a")])
        #expect(validity.reason == .pending)
        #expect(validity.pending == [dep("t", "a"), dep("t")])
        #expect(validity.changed.isEmpty)
        #expect(try fixture.check(stamp, [dep("t", "b"), dep("u", "a")]) == .valid)
    }

    @Test func aWideIntentCoversEveryKeyOfItsTable() throws {
        let fixture = try StoreFixture()
        _ = try fixture.begin([wide("t")])
        let stamp = try fixture.stamp()
        #expect(try !fixture.store.stamp([dep("t")]).cacheable)
        #expect(try !fixture.store.stamp([dep("t", "never-written")]).cacheable)
        #expect(try fixture.store.stamp([dep("u"), dep("u", "x")]).cacheable)
        let validity = try fixture.check(stamp, [dep("t", "x"), dep("t"), dep("u", "x")])
        #expect(validity.reason == .pending)
        #expect(validity.pending == [dep("t", "x"), dep("t")])
    }

    @Test func commitAdvancesVersionsLikeAWriteAndClearsPending() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let before = try fixture.stamp()
        let begun = try fixture.begin([keyed("t", "a"), wide("u")], meta: Array("m".utf8))
        fixture.clock.advance(by: 10)
        let committed = try fixture.commit(begun.id, peer: bob)
        #expect(committed.lsn == 3)
        #expect(committed.invalidated == [])
        #expect(try fixture.versions([dep("t"), dep("t", "a"), dep("t", "b"), dep("u"), dep("u", "z")]) == [3, 3, 0, 3, 3])
        #expect(try fixture.store.stamp([dep("t", "a"), dep("u")]).cacheable)

        let validity = try fixture.check(before, [dep("t", "a"), dep("u", "z")])
        #expect(validity.reason == .changed)
        #expect(validity.pending.isEmpty)
        #expect(try fixture.check(try fixture.stamp(), [dep("t", "a"), dep("u", "z")]) == .valid)

        let record = try #require(try fixture.log(from: 3).records.first)
        #expect(record.kind == .commit)
        #expect(record.intent == begun.id)
        #expect(record.changes == [keyed("t", "a"), wide("u")])
        #expect(record.meta == Array("m".utf8))
        #expect(record.peer == bob)
        #expect(record.time == fixture.clock.value)

        let intent = try #require(try fixture.store.intent(begun.id))
        #expect(intent.state == .committed)
        #expect(intent.closedAt == fixture.clock.value)
    }

    @Test func abortAdvancesNothingAndClearsPending() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        let begun = try fixture.begin([keyed("t", "a"), wide("u")])
        let lsn = try fixture.abort(begun.id)
        #expect(lsn == 3)
        #expect(try fixture.lsn == 3)
        #expect(try fixture.versions([dep("t"), dep("t", "a"), dep("u"), dep("u", "z")]) == [1, 1, 0, 0])
        #expect(try fixture.check(stamp, [dep("t", "a"), dep("u", "z"), dep("t")]) == .valid)
        #expect(try fixture.store.stamp([dep("t", "a"), dep("u")]).cacheable)
        #expect(try fixture.records().map(\.kind) == [.write, .begin, .abort])
        #expect(try fixture.store.intent(begun.id)?.state == .aborted)
    }

    @Test func overlappingIntentsStayPendingUntilTheLastCloses() throws {
        let fixture = try StoreFixture()
        let first = try fixture.begin([keyed("t", "a")])
        let second = try fixture.begin([keyed("t", "a", "b")])
        let third = try fixture.begin([wide("t")])
        _ = try fixture.abort(third.id)
        #expect(try fixture.store.stamp([dep("t", "c")]).cacheable, "only the wide intent covered t:c")
        #expect(try !fixture.store.stamp([dep("t", "a")]).cacheable)
        _ = try fixture.commit(first.id)
        #expect(try !fixture.store.stamp([dep("t", "a")]).cacheable)
        #expect(try !fixture.store.stamp([dep("t", "b")]).cacheable)
        _ = try fixture.abort(second.id)
        #expect(try fixture.store.stamp([dep("t", "a"), dep("t", "b"), dep("t")]).cacheable)
        let stamp = try fixture.stamp()
        #expect(try fixture.check(stamp, [dep("t"), dep("t", "a"), dep("t", "b")]) == .valid)
    }

    @Test func anIntentNamingAKeyTwiceClosesCleanly() throws {
        let fixture = try StoreFixture()
        let begun = try fixture.begin([keyed("t", "a", "a"), keyed("t", "a")])
        _ = try fixture.commit(begun.id)
        #expect(try fixture.store.stamp([dep("t", "a"), dep("t")]).cacheable)
        #expect(try fixture.versions([dep("t", "a")]) == [2])
    }

    @Test func anExpiredLeaseProducesAnExpireRecordInTheBeginnersName() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        let begun = try fixture.begin([keyed("t", "a")], lease: 1_000, meta: Array("x".utf8), peer: bob)

        // Before the lease ends housekeeping does nothing.
        fixture.clock.advance(by: 999)
        #expect(try fixture.housekeeping().expiredIntents == 0)
        #expect(try fixture.lsn == 2)
        #expect(try fixture.store.intent(begun.id)?.state == .open)

        fixture.clock.advance(by: 1)
        let housekept = try fixture.housekeeping()
        #expect(housekept.expiredIntents == 1)
        #expect(try fixture.lsn == 3)
        #expect(try fixture.versions([dep("t"), dep("t", "a")]) == [3, 3])
        #expect(try fixture.store.stamp([dep("t", "a")]).cacheable)
        #expect(try fixture.check(stamp, [dep("t", "a")]).reason == .changed)

        let record = try #require(try fixture.log(from: 3).records.first)
        #expect(record.kind == .expire)
        #expect(record.intent == begun.id)
        #expect(record.peer == bob)
        #expect(record.changes == [keyed("t", "a")])
        #expect(record.meta == Array("x".utf8))
        #expect(record.time == fixture.clock.value)
        #expect(try fixture.store.intent(begun.id)?.state == .expired)

        // A second pass finds nothing more.
        #expect(try fixture.housekeeping().expiredIntents == 0)
        #expect(try fixture.lsn == 3)
    }

    @Test func housekeepingExpiresOnlyTheDueIntentsInLeaseOrder() throws {
        let fixture = try StoreFixture()
        let late = try fixture.begin([keyed("t", "late")], lease: 3_000)
        let early = try fixture.begin([keyed("t", "early")], lease: 1_000)
        let middle = try fixture.begin([keyed("t", "middle")], lease: 2_000)
        fixture.clock.advance(by: 2_500)
        let batch = try fixture.store.apply([MutationRequest(.housekeeping, peer: bob)])
        guard case .housekept(_, 0, 0) = try batch.outcomes[0].get() else {
            Issue.record("unexpected outcome \(batch.outcomes[0])")
            return
        }
        #expect(batch.records.map(\.record.kind) == [.expire, .expire])
        #expect(batch.records.map(\.record.intent) == [early.id, middle.id])
        #expect(batch.records.map(\.record.lsn) == [4, 5])
        #expect(batch.records.allSatisfy { $0.record.peer == alice })
        #expect(try fixture.store.intent(late.id)?.state == .open)
        #expect(try !fixture.store.stamp([dep("t", "late")]).cacheable)
    }

    @Test func aLateCommitFindsTheIntentExpiredWithoutHousekeeping() throws {
        let fixture = try StoreFixture()
        let begun = try fixture.begin([keyed("t", "a")], lease: 1_000, peer: bob)
        fixture.clock.advance(by: 1_000)
        let batch = try fixture.store.apply([MutationRequest(.commit(intent: begun.id), peer: alice)])
        #expect(batch.outcomes[0].error?.code == .unknownIntent)
        #expect(batch.outcomes[0].error?.intentState == .expired)
        // The expiry itself is recorded, in the beginner's name, and advanced the versions.
        #expect(batch.records.map(\.record.kind) == [.expire])
        #expect(batch.records.first?.record.peer == bob)
        #expect(try fixture.version(dep("t", "a")) == 2)
        #expect(try fixture.records().map(\.kind) == [.begin, .expire])
    }

    /// The purge batch caps housekeeping work, not lease expiry: with more intents due than
    /// `purgeBatch`, a late commit of the last one must still find it expired.
    @Test func everyDueIntentIsExpiredBeforeTheBatchEvenPastThePurgeBatch() throws {
        var options = StoreFixture.fastOptions
        options.purgeBatch = 2
        let fixture = try StoreFixture(options: options)
        let ids = try (0..<3).map { index in try fixture.begin([keyed("t", "\(index)")], lease: 100 + Milliseconds(index)).id }
        fixture.clock.advance(by: 1_000)
        let batch = try fixture.store.apply([MutationRequest(.commit(intent: ids[2]), peer: alice)])
        #expect(batch.outcomes[0].error?.intentState == .expired)
        #expect(batch.records.map(\.record.kind) == [.expire, .expire, .expire])
        #expect(batch.records.map(\.record.intent) == ids)
        #expect(try fixture.store.statistics().openIntents == 0)
    }

    @Test func closingAClosedIntentReportsItsState() throws {
        let fixture = try StoreFixture()
        let committed = try fixture.begin([keyed("t", "a")])
        _ = try fixture.commit(committed.id)
        let aborted = try fixture.begin([keyed("t", "b")])
        _ = try fixture.abort(aborted.id)
        let expired = try fixture.begin([keyed("t", "c")], lease: 10)
        fixture.clock.advance(by: 10)
        _ = try fixture.housekeeping()
        let lsn = try fixture.lsn

        for (id, state) in [(committed.id, IntentState.committed), (aborted.id, .aborted), (expired.id, .expired)] {
            for mutation in [Mutation.commit(intent: id), .abort(intent: id)] {
                let error = try fixture.refusal(mutation)
                #expect(error.code == .unknownIntent)
                #expect(error.intentState == state)
            }
        }
        for id in ["", "no-such-intent", String(repeating: "z", count: 10_000), committed.id.uppercased()] {
            let error = try fixture.refusal(.commit(intent: id))
            #expect(error.code == .unknownIntent)
            #expect(error.intentState == .unknown)
        }
        #expect(try fixture.lsn == lsn, "refused requests write nothing")
    }

    @Test func closedIntentsAreForgottenAfterTheRetention() throws {
        var options = StoreFixture.fastOptions
        options.closedIntentRetention = 5_000
        let fixture = try StoreFixture(options: options)
        let begun = try fixture.begin([keyed("t", "a")])
        _ = try fixture.commit(begun.id)
        fixture.clock.advance(by: 4_999)
        #expect(try fixture.housekeeping().forgottenIntents == 0)
        #expect(try fixture.refusal(.abort(intent: begun.id)).intentState == .committed)
        fixture.clock.advance(by: 1)
        #expect(try fixture.housekeeping().forgottenIntents == 1)
        #expect(try fixture.store.intent(begun.id) == nil)
        #expect(try fixture.refusal(.abort(intent: begun.id)).intentState == .unknown)
    }

    @Test func aFailingRequestDoesNotAffectTheOthersInItsBatch() throws {
        let fixture = try StoreFixture()
        let begun = try fixture.begin([keyed("t", "a")])
        let batch = try fixture.store.apply([
            MutationRequest(.write(changes: [keyed("t", "x")], meta: nil), peer: alice),
            MutationRequest(.commit(intent: "bogus"), peer: alice),
            MutationRequest(.write(changes: [Change(table: "")], meta: nil), peer: alice),
            MutationRequest(.commit(intent: begun.id), peer: bob),
            MutationRequest(.abort(intent: begun.id), peer: bob),
            MutationRequest(.write(changes: [keyed("u", "y")], meta: nil), peer: alice),
        ])
        #expect(batch.outcomes.count == 6)
        #expect(try batch.outcomes[0].get() == .written(lsn: 2, invalidated: []))
        #expect(batch.outcomes[1].error?.code == .unknownIntent)
        #expect(batch.outcomes[1].error?.intentState == .unknown)
        #expect(batch.outcomes[2].error?.code == .invalidArgument)
        #expect(try batch.outcomes[3].get() == .written(lsn: 3, invalidated: []))
        #expect(batch.outcomes[4].error?.intentState == .committed)
        #expect(try batch.outcomes[5].get() == .written(lsn: 4, invalidated: []))
        #expect(batch.records.map(\.record.lsn) == [2, 3, 4])
        #expect(batch.records.map(\.record.kind) == [.write, .commit, .write])
        #expect(try fixture.records().map(\.lsn) == [1, 2, 3, 4])
        #expect(try fixture.versions([dep("t", "x"), dep("t", "a"), dep("u", "y")]) == [2, 3, 4])
    }

    @Test func nextHousekeepingReportsTheEarliestDueTime() throws {
        let fixture = try StoreFixture()
        let start = fixture.clock.value
        #expect(try fixture.store.nextHousekeeping() == nil)

        let late = try fixture.begin([keyed("t", "a")], lease: 9_000)
        #expect(try fixture.store.nextHousekeeping() == start + 9_000)
        _ = try fixture.register("n", stamp: try fixture.stamp(), deps: [dep("u")], ttl: 4_000)
        #expect(try fixture.store.nextHousekeeping() == start + 4_000)
        let early = try fixture.begin([keyed("t", "b")], lease: 2_000)
        #expect(try fixture.store.nextHousekeeping() == start + 2_000)

        _ = try fixture.abort(early.id)
        #expect(try fixture.store.nextHousekeeping() == start + 4_000)
        fixture.clock.advance(by: 4_000)
        #expect(try fixture.housekeeping().purgedNames == 1)
        #expect(try fixture.store.nextHousekeeping() == start + 9_000)
        _ = try fixture.commit(late.id)
        #expect(try fixture.store.nextHousekeeping() == nil)
    }

    @Test func aHugeLeaseDoesNotOverflow() throws {
        let fixture = try StoreFixture()
        let begun = try fixture.begin([keyed("t", "a")], lease: .max)
        #expect(begun.expiresAt == .max)
        fixture.clock.advance(by: 100 * 365 * 24 * 3_600_000)
        #expect(try fixture.housekeeping().expiredIntents == 0)
        _ = try fixture.commit(begun.id)
        #expect(try fixture.version(dep("t", "a")) == 2)
    }

    @Test func statisticsCountOpenIntents() throws {
        let fixture = try StoreFixture()
        let first = try fixture.begin([keyed("t", "a")])
        _ = try fixture.begin([wide("u")])
        #expect(try fixture.store.statistics().openIntents == 2)
        _ = try fixture.abort(first.id)
        let statistics = try fixture.store.statistics()
        #expect(statistics.openIntents == 1)
        #expect(statistics.lsn == 3)
        #expect(statistics.records == 3)
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
