import Foundation
import Testing
@testable import TidemarkStore

@Suite("Restart")
struct RestartTests {
    /// Durable options, as a server runs by default.
    private var durable: LMDBStore.Options {
        var options = LMDBStore.Options()
        options.mapSize = 64 << 20
        return options
    }

    @Test func reopeningKeepsEpochLSNVersionsIntentsAndNames() throws {
        let fixture = try StoreFixture(options: durable)
        try fixture.write(keyed("t", "a"))
        try fixture.write(wide("u"))
        let open = try fixture.begin([keyed("t", "b")], lease: 60_000, peer: bob)
        let closed = try fixture.begin([keyed("t", "c")])
        _ = try fixture.abort(closed.id)
        let stamp = try fixture.stamp()
        _ = try fixture.register("n", stamp: stamp, deps: [dep("t", "a")])
        let deps = [dep("t"), dep("t", "a"), dep("t", "b"), dep("u"), dep("u", "q"), dep("x")]
        let before = try fixture.store.stamp(deps)
        let epoch = fixture.epoch
        let records = try fixture.records()

        try fixture.reopen()

        #expect(fixture.epoch == epoch)
        #expect(try fixture.lsn == 5)
        #expect(try fixture.store.stamp(deps) == before)
        #expect(before.cacheable == false, "t:b is covered by the open intent")
        #expect(try fixture.records() == records)
        #expect(try fixture.store.intent(open.id)?.state == .open)
        #expect(try fixture.store.intent(open.id)?.peer == bob)
        #expect(try fixture.store.intent(closed.id)?.state == .aborted)
        #expect(try fixture.check(name: "n") == .valid)
        #expect(try fixture.check(stamp, [dep("t", "a")]) == .valid)
        #expect(try fixture.check(stamp, [dep("t", "b")]).reason == .pending)

        // A restart writes no record and skips none.
        #expect(try fixture.write([keyed("t", "a")]) == (6, ["n"]))
        #expect(try fixture.commit(open.id).lsn == 7)
        #expect(try fixture.records().map(\.lsn) == Array(1...7))
    }

    @Test func anIntentStillExpiresAfterARestart() throws {
        let fixture = try StoreFixture(options: durable)
        let begun = try fixture.begin([keyed("t", "a")], lease: 1_000, peer: bob)
        try fixture.reopen()
        fixture.clock.advance(by: 5_000)
        // What fell due while the store was closed is due now.
        let due = try #require(try fixture.store.nextHousekeeping())
        #expect(due <= fixture.clock.value)
        #expect(try fixture.housekeeping().expiredIntents == 1)
        let record = try #require(try fixture.records().last)
        #expect(record.kind == .expire)
        #expect(record.intent == begun.id)
        #expect(record.peer == bob)
        #expect(try fixture.version(dep("t", "a")) == 2)
    }

    @Test func compactionSurvivesARestart() throws {
        let fixture = try StoreFixture(options: durable)
        for index in 1...5 { try fixture.write(keyed("t", "\(index)")) }
        _ = try fixture.apply(.compact(before: 4))
        try fixture.reopen()
        let page = try fixture.log()
        #expect(page.oldest == 4)
        #expect(page.records.map(\.lsn) == [4, 5])
        #expect(try fixture.write(keyed("t", "6")) == 6)
    }

    @Test func aSecondStoreOnTheSameDirectoryIsLocked() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let error = #expect(throws: StoreError.self) {
            _ = try LMDBStore(path: fixture.path, options: StoreFixture.fastOptions)
        }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("pid \(getpid())") == true)
        // The first store is unaffected.
        #expect(try fixture.write(keyed("t", "b")) == 2)
        // Once it closes, the directory opens again.
        try fixture.reopen()
        #expect(try fixture.lsn == 2)
    }

    @Test func aReadOnlyStoreReadsButWritesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        var options = StoreFixture.fastOptions
        options.readOnly = true

        // A reader takes no lock: it opens even while a writer holds the directory.
        #expect(try LMDBStore(path: fixture.path, options: options).currentLSN() == 1)

        let path = fixture.path
        let epoch = fixture.epoch
        let records = try fixture.records()
        // Close the writer without removing the directory.
        fixture.close()
        let reader = try LMDBStore(path: path, options: options)
        #expect(reader.epoch == epoch)
        #expect(try reader.currentLSN() == 1)
        #expect(try reader.log(LogQuery(limit: 10)).records == records)
        #expect(try reader.check([.stamp(stamp, deps: [dep("t", "a")])]) == [.valid])
        #expect(throws: StoreError.self) {
            _ = try reader.apply([MutationRequest(.write(changes: [keyed("t", "b")], meta: nil), peer: alice)])
        }
        #expect(try reader.currentLSN() == 1)
        // Readers share the directory.
        let second = try LMDBStore(path: path, options: options)
        #expect(try second.currentLSN() == 1)
    }

    @Test func aReplacedDirectoryHasANewEpoch() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("t", "a"))
        let stamp = try fixture.stamp()
        let oldEpoch = fixture.epoch
        fixture.close()
        try FileManager.default.removeItem(atPath: fixture.path)
        try fixture.reopen()
        #expect(fixture.epoch != oldEpoch)
        #expect(try fixture.lsn == 0)
        try fixture.write(keyed("t", "a"))
        #expect(try fixture.check(stamp, [dep("t", "a")]).reason == .epoch)
    }

    @Test func aWorldWritableDirectoryIsRefused() throws {
        let path = temporaryPath("unsafe")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        #expect(chmod(path, 0o777) == 0)
        let error = #expect(throws: StoreError.self) {
            _ = try LMDBStore(path: path, options: StoreFixture.fastOptions)
        }
        #expect(error?.code == .unsafeDirectory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty, "nothing is created")
    }

    @Test func aNewDirectoryIsCreatedPrivate() throws {
        let parent = temporaryPath("parent")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let path = parent + "/nested/data"
        let fixture = try StoreFixture(path: path)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        #expect(try fixture.lsn == 0)
    }
}
