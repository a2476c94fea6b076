import Foundation
import Synchronization
import Testing
import TidemarkJournal
import TidemarkTestSupport
@testable import TidemarkStore

/// The journaled store's recovery, one scenario at a time: a clean stop, a power loss
/// that tore the data file, a process crash that left it stale, checkpoints that release
/// segments, `--sync none` on a journaled directory, and a disk that fills up. Each
/// crash is acted out by copying the data directory aside while its store is still open,
/// keeping what the disk would hold.
@Suite("Journal recovery")
struct JournalRecoveryTests {
    static let deps = JournalTestSupport.deps(tables: 3, keys: 5)

    /// Everything a reader can see of a store, to compare a recovered one with the one
    /// that wrote it.
    struct Observed: Equatable, CustomStringConvertible {
        var epoch: Epoch
        var lsn: LSN
        var records: [Record]
        var stamp: StampResult
        var names: [Validity]

        init(_ store: LMDBStore, names: [String] = []) throws {
            epoch = store.epoch
            lsn = try store.currentLSN()
            records = try store.log(LogQuery(limit: 100_000)).records
            stamp = try store.stamp(JournalRecoveryTests.deps)
            self.names = try store.check(names.map { .name($0) })
        }

        var description: String { "lsn \(lsn), \(records.count) records, versions \(stamp.versions)" }
    }

    /// Writes `count` single-write batches over the tables and keys of `deps`, with metas
    /// of varied length (so frames cross sectors and fill segments at different points).
    /// Returns the LSNs the store acknowledged.
    @discardableResult
    static func writeSome(_ store: LMDBStore, count: Int, seed: UInt64) throws -> [LSN] {
        var random = SeededGenerator(seed: seed)
        var acknowledged: [LSN] = []
        for _ in 0..<count {
            let table = "t\(random.next(in: 0...2))"
            let change = random.next(in: 0...9) == 0
                ? Change(table: table)
                : Change(table: table, keys: (0..<random.next(in: 1...3)).map { _ in "k\(random.next(in: 0...4))" })
            let meta = [UInt8](repeating: UInt8(random.next(in: 0...255)), count: random.next(in: 0...400))
            let batch = try store.apply([MutationRequest(.write(changes: [change], meta: meta), peer: alice)])
            guard case .written(let lsn, _) = try batch.outcomes[0].get() else {
                Issue.record("a write did not answer .written")
                continue
            }
            acknowledged.append(lsn)
        }
        return acknowledged
    }

    static func expectClean(_ store: LMDBStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let report = try store.verify()
        #expect(report.isClean, "\(report.discrepancies)", sourceLocation: sourceLocation)
    }

    // MARK: - A clean stop

    @Test func writesSurviveACleanReopenAndTheStateSaysClean() throws {
        let fixture = try StoreFixture(options: JournalTestSupport.options(boot: "A"))
        let open = try fixture.begin([keyed("t0", "k1")], lease: 600_000, peer: bob)
        try Self.writeSome(fixture.store, count: 40, seed: 1)
        _ = try fixture.register("n", stamp: try fixture.stamp(), deps: [dep("t1")])
        #expect(JournalTestSupport.state(in: fixture.path) == "open A")
        #expect(fixture.store.journalStatus?.next == 44, "the epoch, the begin, 40 writes and the register")
        let before = try Observed(fixture.store, names: ["n"])
        #expect(before.lsn == 41)
        fixture.close()
        #expect(JournalTestSupport.state(in: fixture.path) == "clean")

        // A clean stop is trusted whatever the boot: were the data file rebuilt, this
        // would fail, with no checkpoint to rebuild it from.
        try FileManager.default.removeItem(atPath: fixture.path + "/checkpoint.mdb")
        let store = try LMDBStore(path: fixture.path, options: JournalTestSupport.options(boot: "B"), clock: fixture.clock.function)
        #expect(try Observed(store, names: ["n"]) == before)
        #expect(try store.intent(open.id)?.state == .open)
        #expect(JournalTestSupport.state(in: fixture.path) == "open B")
        #expect(FileManager.default.fileExists(atPath: fixture.path + "/checkpoint.mdb"), "a missing checkpoint is taken again")
        try Self.expectClean(store)
        #expect(try Self.writeSome(store, count: 1, seed: 2) == [42])
    }

    // MARK: - Power loss

    /// A power loss: the journal and checkpoint are on the disk, the data file (never
    /// flushed) is torn. In the next boot the store rebuilds it from the checkpoint and the
    /// journal, and every acknowledged write is there.
    @Test(arguments: JournalTestSupport.TornDataFile.allCases)
    func aPowerLossRebuildsTheDataFileFromTheJournal(torn: JournalTestSupport.TornDataFile) throws {
        let fixture = try StoreFixture(options: JournalTestSupport.options(boot: "A"))
        let open = try fixture.begin([keyed("t2", "k4")], lease: 600_000, peer: bob)
        let acknowledged = try Self.writeSome(fixture.store, count: 60, seed: 3)
        #expect(acknowledged == Array(2...61))
        let stamp = try fixture.stamp()
        _ = try fixture.register("n", stamp: stamp, deps: [dep("t0", "k0")])
        let before = try Observed(fixture.store, names: ["n"])

        let copy = temporaryPath("power-loss")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(
            fixture.path, to: copy, dataFile: try JournalTestSupport.tornDataFile(of: fixture.path, torn))
        #expect(JournalTestSupport.state(in: copy) == "open A")

        let recovered = try LMDBStore(path: copy, options: JournalTestSupport.options(boot: "B"), clock: fixture.clock.function)
        #expect(try Observed(recovered, names: ["n"]) == before)
        #expect(try recovered.check([.stamp(stamp, deps: [dep("t1"), dep("t0", "k0")])]) == [.valid])
        #expect(try recovered.intent(open.id)?.state == .open)
        #expect(try recovered.stamp([dep("t2", "k4")]).cacheable == false, "the open intent still covers t2:k4")
        #expect(JournalTestSupport.state(in: copy) == "open B")
        try Self.expectClean(recovered)
        // The journal goes on after what was replayed.
        #expect(try Self.writeSome(recovered, count: 1, seed: 4) == [62])
        #expect(recovered.journalStatus?.next == 65)
    }

    /// A process crash (same boot): the page cache kept the data file, but it may lag the
    /// journal; here it is a copy taken earlier. The frames after the data file's journal
    /// sequence are replayed into it, not the whole journal over a rebuilt one.
    @Test func aSameBootCrashReplaysWhatAStaleDataFileLacks() throws {
        let fixture = try StoreFixture(options: JournalTestSupport.options(boot: "A"))
        try Self.writeSome(fixture.store, count: 30, seed: 5)
        let staleData = try JournalTestSupport.bytes(of: fixture.path + "/data.mdb")
        let staleLSN = try fixture.lsn
        try Self.writeSome(fixture.store, count: 45, seed: 6)
        let before = try Observed(fixture.store)
        #expect(before.lsn == 75)

        // The stale file alone (no journal to replay) holds only the first 30 writes.
        let alone = temporaryPath("stale-alone")
        defer { try? FileManager.default.removeItem(atPath: alone) }
        try JournalTestSupport.makeDirectory(alone)
        try JournalTestSupport.write(staleData, to: alone + "/data.mdb")
        #expect(try LMDBStore(path: alone, options: StoreFixture.fastOptions).currentLSN() == staleLSN)

        let copy = temporaryPath("stale")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(fixture.path, to: copy, dataFile: staleData)
        // Were the data file rebuilt from the checkpoint instead, this one would do: make
        // it unusable, so only a replay into the stale file passes.
        try JournalTestSupport.write([1, 2, 3], to: copy + "/checkpoint.mdb")
        let recovered = try LMDBStore(path: copy, options: JournalTestSupport.options(boot: "A"), clock: fixture.clock.function)
        #expect(try Observed(recovered) == before)
        try Self.expectClean(recovered)
        #expect(try Self.writeSome(recovered, count: 1, seed: 7) == [76])
    }

    // MARK: - Checkpoints

    /// A checkpoint removes the segments it holds; a power loss after it rebuilds from
    /// the checkpoint and replays only the segments kept.
    @Test func aCheckpointReleasesSegmentsAndRecoveryStartsFromIt() throws {
        let fixture = try StoreFixture(options: JournalTestSupport.options(boot: "A", segmentBytes: 8 << 10))
        try Self.writeSome(fixture.store, count: 200, seed: 8)
        let before = try #require(fixture.store.journalStatus)
        #expect(before.segments >= 4, "200 writes of about 250 bytes in 8 KiB segments")
        #expect(before.first == 1)
        #expect(try JournalTestSupport.segmentNames(in: fixture.path).count == before.segments)

        try fixture.store.checkpoint()
        let after = try #require(fixture.store.journalStatus)
        #expect(after.segments == 1, "everything but the segment being written is in the checkpoint")
        #expect(after.first > 1 && after.next == before.next)
        #expect(after.bytes < before.bytes)
        #expect(try JournalTestSupport.segmentNames(in: fixture.path) == [String(format: "%020llu.journal", after.first)])

        try Self.writeSome(fixture.store, count: 80, seed: 9)
        let observed = try Observed(fixture.store)
        let kept = try #require(fixture.store.journalStatus)
        #expect(kept.segments >= 2 && kept.first == after.first)

        let copy = temporaryPath("after-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(
            fixture.path, to: copy, dataFile: try JournalTestSupport.tornDataFile(of: fixture.path, .garbage))
        let recovered = try LMDBStore(
            path: copy, options: JournalTestSupport.options(boot: "B", segmentBytes: 8 << 10), clock: fixture.clock.function)
        #expect(try Observed(recovered) == observed)
        #expect(recovered.journalStatus?.first == kept.first)
        try Self.expectClean(recovered)
        #expect(try Self.writeSome(recovered, count: 1, seed: 10) == [observed.lsn + 1])
    }

    // MARK: - Journaling switched off

    /// `--sync none` on a journaled directory: the journal's frames are replayed into the
    /// data file, which is flushed, and the journal and checkpoint go. A later durable start
    /// journals again from where the data file is.
    @Test func syncNoneReplaysAndRemovesTheJournal() throws {
        let fixture = try StoreFixture(options: JournalTestSupport.options(boot: "A"))
        try Self.writeSome(fixture.store, count: 20, seed: 11)
        let staleData = try JournalTestSupport.bytes(of: fixture.path + "/data.mdb")
        try Self.writeSome(fixture.store, count: 25, seed: 12)
        let before = try Observed(fixture.store)

        // A process crash left the data file stale; then the server starts with --sync none.
        let copy = temporaryPath("sync-none")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(fixture.path, to: copy, dataFile: staleData)
        var unjournaled = JournalTestSupport.options(boot: "A")
        unjournaled.durable = false
        do {
            let store = try LMDBStore(path: copy, options: unjournaled, clock: fixture.clock.function)
            #expect(try Observed(store) == before)
            #expect(store.journalStatus == nil)
            #expect(!FileManager.default.fileExists(atPath: copy + "/journal"), "the journal directory is gone")
            #expect(!FileManager.default.fileExists(atPath: copy + "/checkpoint.mdb"))
            try Self.expectClean(store)
        }
        let reopened = try LMDBStore(path: copy, options: unjournaled, clock: fixture.clock.function)
        #expect(try Observed(reopened) == before)
        #expect(!FileManager.default.fileExists(atPath: copy + "/journal"))

        // The same on a clean stop of the original directory.
        fixture.close()
        let unjournaledOriginal = try LMDBStore(path: fixture.path, options: unjournaled, clock: fixture.clock.function)
        #expect(try Observed(unjournaledOriginal) == before)
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/journal"))
    }

    /// After `--sync none` removed the journal, a durable start journals again, its first
    /// frame after the data file's last sequence, and a power loss then recovers.
    @Test func aDurableStartAfterSyncNoneJournalsAgain() throws {
        let fixture = try StoreFixture(options: JournalTestSupport.options(boot: "A"))
        try Self.writeSome(fixture.store, count: 15, seed: 13)
        let sequence = try #require(fixture.store.journalStatus).next
        fixture.close()
        var unjournaled = JournalTestSupport.options(boot: "A")
        unjournaled.durable = false
        do {
            let store = try LMDBStore(path: fixture.path, options: unjournaled, clock: fixture.clock.function)
            try Self.writeSome(store, count: 5, seed: 14)
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/journal"))

        try fixture.reopen()
        #expect(fixture.store.journalStatus?.first == sequence, "the writes made with --sync none were not journaled")
        try Self.writeSome(fixture.store, count: 10, seed: 15)
        let before = try Observed(fixture.store)
        #expect(before.lsn == 30)
        let copy = temporaryPath("journal-again")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(
            fixture.path, to: copy, dataFile: try JournalTestSupport.tornDataFile(of: fixture.path, .garbage))
        let recovered = try LMDBStore(path: copy, options: JournalTestSupport.options(boot: "B"), clock: fixture.clock.function)
        #expect(try Observed(recovered) == before)
        try Self.expectClean(recovered)
    }

    // MARK: - A full disk

    /// The faults a test turns on: a disk with no room for a new segment, and a flush
    /// that fails once (after its write landed, as an `fdatasync` reporting EIO can).
    final class DiskFaults: Sendable {
        private struct State {
            var full = false
            var failNextFlush = false
            var refusedSegments = 0
        }

        private let state = Mutex(State())

        var isFull: Bool {
            get { state.withLock { $0.full } }
            set { state.withLock { $0.full = newValue } }
        }

        func failNextFlush() { state.withLock { $0.failNextFlush = true } }

        /// How many segment creations were refused.
        var refusedSegments: Int { state.withLock { $0.refusedSegments } }

        func segmentRefusal() -> JournalError? {
            state.withLock { state in
                guard state.full else { return nil }
                state.refusedSegments += 1
                return JournalError(.full, "no space on the disk for the journal", cause: "No space left on device")
            }
        }

        func flushFailure() -> JournalError? {
            state.withLock { state in
                guard state.failNextFlush else { return nil }
                state.failNextFlush = false
                return JournalError(.io, "cannot flush the journal", cause: "Input/output error")
            }
        }
    }

    /// Segments as files (`PosixJournalStorage`), failing as `faults` says.
    final class FaultyJournalStorage: JournalStorage {
        private let files: PosixJournalStorage
        private let faults: DiskFaults

        init(directory: String, faults: DiskFaults) throws(JournalError) {
            files = try PosixJournalStorage(directory: directory)
            self.faults = faults
        }

        func segments() throws(JournalError) -> [UInt64] { try files.segments() }

        func openSegment(startingAt sequence: UInt64) throws(JournalError) -> any JournalFile {
            FaultyFile(try files.openSegment(startingAt: sequence), faults: faults)
        }

        func createSegment(startingAt sequence: UInt64, size: Int) throws(JournalError) -> any JournalFile {
            if let refusal = faults.segmentRefusal() { throw refusal }
            return FaultyFile(try files.createSegment(startingAt: sequence, size: size), faults: faults)
        }

        func removeSegment(startingAt sequence: UInt64) throws(JournalError) { try files.removeSegment(startingAt: sequence) }

        /// Writes land (the file is `O_DSYNC`); a flush fails when `faults` says so.
        final class FaultyFile: JournalFile {
            private let file: any JournalFile
            private let faults: DiskFaults

            init(_ file: any JournalFile, faults: DiskFaults) {
                self.file = file
                self.faults = faults
            }

            var size: Int { file.size }

            func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8] { try file.read(at: offset, count: count) }

            func write(_ bytes: [UInt8], at offset: Int) throws(JournalError) { try file.write(bytes, at: offset) }

            func sync() throws(JournalError) {
                if let failure = faults.flushFailure() { throw failure }
                try file.sync()
            }
        }
    }

    static func faultyOptions(_ faults: DiskFaults) -> LMDBStore.Options {
        JournalTestSupport.options(boot: "A", segmentBytes: 8 << 10) { directory throws(JournalError) in
            try FaultyJournalStorage(directory: directory, faults: faults)
        }
    }

    /// A write that needs a new segment on a full disk fails as `storageFull` and takes
    /// nothing with it; once there is room again, writes go on at the next LSN.
    @Test func aFullDiskFailsTheWriteThatNeedsASegmentAndLosesNothing() throws {
        let faults = DiskFaults()
        let fixture = try StoreFixture(options: Self.faultyOptions(faults))
        faults.isFull = true

        var acknowledged: [LSN] = []
        var failure: StoreError?
        for index in 0..<200 {
            do {
                acknowledged += try Self.writeSome(fixture.store, count: 1, seed: 100 + UInt64(index))
            } catch let error as StoreError {
                failure = error
                break
            }
        }
        #expect(failure?.code == .storageFull)
        #expect(faults.refusedSegments == 1)
        #expect(acknowledged.count > 5, "the first segment holds several writes")
        #expect(acknowledged == Array(1...LSN(acknowledged.count)))
        let full = try Observed(fixture.store)
        #expect(full.lsn == LSN(acknowledged.count))
        #expect(fixture.store.journalStatus?.segments == 1)

        // Still full: the next write fails too, and changes nothing.
        #expect(throws: StoreError.self) { try Self.writeSome(fixture.store, count: 1, seed: 1) }
        #expect(try Observed(fixture.store) == full)
        try Self.expectClean(fixture.store)

        // Space is freed: writes resume at the next LSN, in a new segment.
        faults.isFull = false
        #expect(try Self.writeSome(fixture.store, count: 30, seed: 2) == Array(full.lsn + 1...full.lsn + 30))
        #expect((fixture.store.journalStatus?.segments ?? 0) >= 2)
        try Self.expectClean(fixture.store)
        let after = try Observed(fixture.store)
        #expect(Array(after.records.prefix(full.records.count)) == full.records)

        // And a power loss now recovers all of it: the failed writes left nothing behind
        // in the journal that recovery could take for a frame.
        let copy = temporaryPath("full-disk")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(
            fixture.path, to: copy, dataFile: try JournalTestSupport.tornDataFile(of: fixture.path, .garbage))
        let recovered = try LMDBStore(
            path: copy, options: JournalTestSupport.options(boot: "B", segmentBytes: 8 << 10), clock: fixture.clock.function)
        #expect(try Observed(recovered) == after)
        try Self.expectClean(recovered)
    }

    // MARK: - A failed flush

    /// A flush fails after its write landed: the write is refused, and its frame must not
    /// stay in the journal. Had it stayed, the next write, too big for the rest of the
    /// segment, would start a new one at the same sequence, and the journal would no
    /// longer open.
    @Test func aFailedFlushThenANewSegmentStillReopens() throws {
        let faults = DiskFaults()
        let fixture = try StoreFixture(options: Self.faultyOptions(faults))
        try Self.writeSome(fixture.store, count: 5, seed: 20)
        let before = try Observed(fixture.store)
        faults.failNextFlush()
        let error = #expect(throws: StoreError.self) { try Self.writeSome(fixture.store, count: 1, seed: 21) }
        #expect(error?.code == .io)
        #expect(try Observed(fixture.store) == before)

        // Bigger than what is left of the 8 KiB segment.
        let big = [UInt8](repeating: 9, count: 7_000)
        _ = try fixture.write([keyed("t0", "k0")], meta: big)
        #expect(fixture.store.journalStatus?.segments == 2)
        let after = try Observed(fixture.store)
        #expect(after.lsn == before.lsn + 1)

        try fixture.reopen()
        #expect(try Observed(fixture.store) == after)
        try Self.expectClean(fixture.store)
    }

    /// A process crash right after a failed flush: the refused write is not replayed
    /// (its client was told it failed, and readers never saw it).
    @Test func aWriteWhoseFlushFailedIsNotReplayedAfterACrash() throws {
        let faults = DiskFaults()
        let fixture = try StoreFixture(options: Self.faultyOptions(faults))
        try Self.writeSome(fixture.store, count: 5, seed: 22)
        let before = try Observed(fixture.store)
        faults.failNextFlush()
        #expect(throws: StoreError.self) { try Self.writeSome(fixture.store, count: 1, seed: 23) }

        let copy = temporaryPath("failed-flush")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(
            fixture.path, to: copy, dataFile: try JournalTestSupport.bytes(of: fixture.path + "/data.mdb"))
        let recovered = try LMDBStore(path: copy, options: JournalTestSupport.options(boot: "A"), clock: fixture.clock.function)
        #expect(try Observed(recovered) == before)
        try Self.expectClean(recovered)
    }
}
