import Foundation
import Testing
import TidemarkJournal
import TidemarkTestSupport
@testable import TidemarkStore

/// Power loss over the whole store, as JournalCrashTests does it for one segment: a
/// seeded workload runs through a journaled store whose segments are recorded
/// (`RecordingJournalStorage`), with small segments so that they rotate and checkpoints
/// that release them. Then, at every point of the run, every disk image a power loss
/// there could leave is built as a real data directory (the segments, the checkpoint
/// durable at that point, `journal/state` saying the store was open in boot A, and a torn
/// data file) and opened in boot B. Every batch acknowledged before the point must be
/// there, with its LSN, records and versions; the only thing allowed beyond it is the
/// whole batch in flight; and the store must verify clean and go on writing.
@Suite("Store power loss")
struct StorePowerLossTests {
    static let sector = 512
    static let segmentBytes = 8 << 10
    static let deps = JournalTestSupport.deps(tables: 4, keys: 6)
    static let names = (0..<8).map { "n\($0)" }

    /// What a reader sees of the store right after a batch (the epoch aside: it is
    /// checked on its own, since the store's opening may not have been acknowledged).
    struct Seen: Equatable, CustomStringConvertible {
        var lsn: LSN
        var versions: [LSN]
        var cacheable: Bool
        var names: [Validity]

        init(_ store: LMDBStore) throws {
            let stamp = try store.stamp(StorePowerLossTests.deps)
            lsn = try store.currentLSN()
            versions = stamp.versions
            cacheable = stamp.cacheable
            names = try store.check(StorePowerLossTests.names.map { .name($0) })
        }

        var description: String { "lsn \(lsn) versions \(versions) cacheable \(cacheable)" }
    }

    /// One batch the store acknowledged (the first: its opening, which writes the epoch).
    struct Batch {
        /// Its events are `events[began..<acknowledgedAt]`.
        var began: Int
        /// It is durable in every image at or after this point.
        var acknowledgedAt: Int
        var seen: Seen
        /// The data file right after it committed, as the page cache holds it.
        var dataFile: [UInt8]
    }

    struct Checkpoint {
        /// The events before `checkpoint()` was called: from a crash after them on, the
        /// new checkpoint may be the one on the disk; after any later event, it is.
        var takenAfter: Int
        var bytes: [UInt8]
    }

    /// What a run recorded.
    struct Run {
        var events: [RecordingJournalStorage.Event]
        var batches: [Batch]
        var checkpoints: [Checkpoint]
        /// The final log, of which each recovered store must hold a prefix.
        var records: [Record]
        var epoch: Epoch
        var now: Milliseconds
    }

    @Test(arguments: [1, 2] as [UInt64])
    func everyAcknowledgedBatchSurvivesEveryCrashImage(seed: UInt64) throws {
        let run = try Self.run(seed: seed, batches: 110)
        #expect(run.checkpoints.count >= 4, "the opening's checkpoint and three during the run")
        let removals = run.events.filter { if case .remove = $0 { true } else { false } }.count
        let creations = run.events.filter { if case .create = $0 { true } else { false } }.count
        #expect(removals >= 3 && creations >= 6, "segments rotate and are released")

        let scratch = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var random = SeededGenerator(seed: seed)
        var images = 0
        var problems: [String] = []
        for crash in 1...run.events.count {
            let disk = Self.disk(after: run.events[..<crash])
            let allowed = Self.allowedBatches(at: crash, in: run)
            for checkpoint in Self.checkpoints(durableAt: crash, in: run) {
                for image in Self.images(disk, random: &random) {
                    images += 1
                    let directory = scratch + "/image-\(images)"
                    try Self.materialize(image, checkpoint: checkpoint, at: directory)
                    problems += Self.check(directory, allowed: allowed, epochAcknowledged: crash >= run.batches[0].acknowledgedAt, run: run)
                        .map { "crash \(crash) image \(images): \($0)" }
                    try FileManager.default.removeItem(atPath: directory)
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, the first: \(problems.prefix(5))")
        #expect(images > 300, "only \(images) crash images")
    }

    /// A process crash (the same boot) at every point of the run: every write issued is in
    /// the page cache, so the segments hold all of them, and the data file is the one
    /// LMDB last committed before the point (it commits after the journal's flush). The
    /// data file is trusted and the journal after it replayed.
    @Test func everyAcknowledgedBatchSurvivesAProcessCrashAtEveryPoint() throws {
        let run = try Self.run(seed: 4, batches: 110)
        let scratch = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var images = 0
        var problems: [String] = []
        for crash in run.batches[0].acknowledgedAt...run.events.count {
            var disk = Self.disk(after: run.events[..<crash])
            for (segment, offset, bytes) in disk.pending {
                disk.durable[segment]?.replaceSubrange(offset..<offset + bytes.count, with: bytes)
            }
            let committed = run.batches.lastIndex { $0.acknowledgedAt < crash } ?? 0
            let checkpoint = try #require(Self.checkpoints(durableAt: crash, in: run).first)
            images += 1
            let directory = scratch + "/image-\(images)"
            try Self.materialize(disk.durable, checkpoint: checkpoint, dataFile: run.batches[committed].dataFile, at: directory)
            problems += Self.check(directory, allowed: Self.allowedBatches(at: crash, in: run), epochAcknowledged: true, run: run, boot: "A")
                .map { "crash \(crash): \($0)" }
            try FileManager.default.removeItem(atPath: directory)
        }
        #expect(problems.isEmpty, "\(problems.count) problems, the first: \(problems.prefix(5))")
        #expect(images > 200, "only \(images) crash images")
    }

    /// The checker itself finds what it is there to find: an image that lost an
    /// acknowledged batch, and one whose checkpoint is older than the journal kept.
    @Test func theCheckFindsALostBatchAndAStaleCheckpoint() throws {
        let run = try Self.run(seed: 3, batches: 80)
        let scratch = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let end = run.events.count
        let allowed = Self.allowedBatches(at: end, in: run)
        let last = run.batches[run.batches.count - 1]
        let newest = try #require(run.checkpoints.last)
        #expect(newest.takenAfter < last.began, "the last batch came after the last checkpoint")

        // The last batch's write never reached the disk, though it was acknowledged (as
        // with a flush that returned without flushing).
        let lost = Self.disk(after: run.events[..<last.began])
        try Self.materialize(lost.durable, checkpoint: newest, at: scratch + "/lost")
        let lostProblems = Self.check(scratch + "/lost", allowed: allowed, epochAcknowledged: true, run: run)
        #expect(!lostProblems.isEmpty, "an image without an acknowledged batch passed the check")

        // The opening's checkpoint, with the journal its successors released.
        try Self.materialize(Self.disk(after: run.events[...]).durable, checkpoint: run.checkpoints[0], at: scratch + "/stale")
        let staleProblems = Self.check(scratch + "/stale", allowed: allowed, epochAcknowledged: true, run: run)
        #expect(staleProblems.contains { $0.contains("does not open") }, "\(staleProblems)")

        // And the image as it should be passes.
        try Self.materialize(Self.disk(after: run.events[...]).durable, checkpoint: newest, at: scratch + "/good")
        #expect(Self.check(scratch + "/good", allowed: allowed, epochAcknowledged: true, run: run) == [])
    }

    // MARK: - The run

    /// Runs `batches` seeded batches (writes, wide writes, two writes at once, intents
    /// begun, committed and aborted, names registered) through a journaled store, with a
    /// checkpoint every 30 batches, recording what each acknowledged batch left.
    static func run(seed: UInt64, batches count: Int) throws -> Run {
        let path = temporaryPath("power-loss-run")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try RecordingJournalStorage(directory: path + "/journal")
        let options = JournalTestSupport.options(boot: "A", segmentBytes: segmentBytes) { _ in recorder }
        let clock = ManualClock()
        let store = try LMDBStore(path: path, options: options, clock: clock.function)

        // The opening took a checkpoint after creating the first segment and before
        // journaling the epoch.
        var checkpoints = [Checkpoint(takenAfter: 1, bytes: try JournalTestSupport.bytes(of: path + "/checkpoint.mdb"))]
        let dataFile = { try JournalTestSupport.bytes(of: path + "/data.mdb") }
        var batches = [Batch(began: 1, acknowledgedAt: recorder.eventCount, seen: try Seen(store), dataFile: try dataFile())]
        var random = SeededGenerator(seed: seed)
        var open: [String] = []
        for index in 1...count {
            clock.advance(by: 7)
            let requests = try Self.requests(random: &random, open: open, store: store)
            let began = recorder.eventCount
            let applied = try store.apply(requests)
            batches.append(Batch(began: began, acknowledgedAt: recorder.eventCount, seen: try Seen(store), dataFile: try dataFile()))
            for outcome in applied.outcomes {
                if case .success(.begun(let intent, _, _)) = outcome { open.append(intent) }
            }
            for request in requests {
                if case .commit(let intent) = request.mutation { open.removeAll { $0 == intent } }
                if case .abort(let intent) = request.mutation { open.removeAll { $0 == intent } }
            }
            if index % 30 == 0 {
                let takenAfter = recorder.eventCount
                try store.checkpoint()
                // Durable once renamed into place, before `checkpoint()` returned.
                checkpoints.append(Checkpoint(takenAfter: takenAfter, bytes: try JournalTestSupport.bytes(of: path + "/checkpoint.mdb")))
            }
        }
        return Run(
            events: recorder.events, batches: batches, checkpoints: checkpoints,
            records: try store.log(LogQuery(limit: 100_000)).records, epoch: store.epoch, now: clock.value)
    }

    static func requests(random: inout SeededGenerator, open: [String], store: LMDBStore) throws -> [MutationRequest] {
        func change() -> Change {
            let table = "t\(random.next(in: 0...3))"
            if random.next(in: 0...7) == 0 { return Change(table: table) }
            return Change(table: table, keys: (0..<random.next(in: 1...3)).map { _ in "k\(random.next(in: 0...5))" })
        }
        // Metas up to 1,500 bytes: frames from a few dozen bytes to several sectors.
        func meta() -> [UInt8]? {
            random.next(in: 0...3) == 0 ? nil : (0..<random.next(in: 1...1500)).map { _ in UInt8(random.next(in: 0...255)) }
        }
        let roll = random.next(in: 0...99)
        let mutation: Mutation
        switch roll {
        case 0..<50:
            mutation = .write(changes: [change()], meta: meta())
        case 50..<60:
            return [
                MutationRequest(.write(changes: [change()], meta: meta()), peer: alice),
                MutationRequest(.write(changes: [change(), change()], meta: meta()), peer: bob),
            ]
        case 60..<70 where open.count < 3:
            mutation = .begin(changes: [change()], lease: 600_000, meta: meta())
        case 70..<78 where !open.isEmpty:
            mutation = .commit(intent: open[random.next(in: 0...open.count - 1)])
        case 78..<83 where !open.isEmpty:
            mutation = .abort(intent: open[random.next(in: 0...open.count - 1)])
        case 83..<100:
            let now = try store.stamp([])
            let deps = (0..<random.next(in: 1...2)).map { _ in Self.deps[random.next(in: 0...Self.deps.count - 1)] }
            mutation = .register(
                name: Self.names[random.next(in: 0...Self.names.count - 1)], stamp: Stamp(epoch: now.epoch, lsn: now.lsn),
                deps: deps, ttl: 3_600_000)
        default:
            mutation = .write(changes: [change()], meta: meta())
        }
        return [MutationRequest(mutation, peer: alice)]
    }

    // MARK: - Crash points

    /// What the disk holds after `events`: each segment's durable bytes (its writes up to
    /// its last flush), and the writes issued since, which a power loss may have landed in
    /// part or not at all.
    struct Disk {
        var durable: [UInt64: [UInt8]] = [:]
        var pending: [(segment: UInt64, offset: Int, bytes: [UInt8])] = []
    }

    static func disk(after events: ArraySlice<RecordingJournalStorage.Event>) -> Disk {
        var disk = Disk()
        var unflushed: [UInt64: [(offset: Int, bytes: [UInt8])]] = [:]
        for event in events {
            switch event {
            case .create(let segment, let size):
                disk.durable[segment] = [UInt8](repeating: 0, count: size)
            case .write(let segment, let offset, let bytes):
                unflushed[segment, default: []].append((offset, bytes))
            case .sync(let segment):
                for write in unflushed[segment] ?? [] {
                    disk.durable[segment]?.replaceSubrange(write.offset..<write.offset + write.bytes.count, with: write.bytes)
                }
                unflushed[segment] = nil
            case .remove(let segment):
                disk.durable[segment] = nil
                unflushed[segment] = nil
            }
        }
        for (segment, writes) in unflushed.sorted(by: { $0.key < $1.key }) {
            disk.pending += writes.map { (segment, $0.offset, $0.bytes) }
        }
        return disk
    }

    /// The segment images a power loss can leave of `disk`, as JournalCrashTests builds
    /// them: every pending write dropped; and for each, landed torn after every sector,
    /// its last sectors only (landed backwards), all but one sector, and random subsets.
    /// The same sectors landed twice make one image.
    static func images(_ disk: Disk, random: inout SeededGenerator) -> [[UInt64: [UInt8]]] {
        var images = [disk.durable]
        for (segment, offset, bytes) in disk.pending {
            let sectors = stride(from: offset - offset % sector, to: offset + bytes.count, by: sector).map { start in
                max(start, offset)..<min(start + sector, offset + bytes.count)
            }
            var subsets: [[Range<Int>]] = []
            for count in 1...sectors.count {
                subsets.append(Array(sectors.prefix(count)))
                subsets.append(Array(sectors.suffix(count)))
            }
            for skipped in sectors.indices { subsets.append(sectors.enumerated().filter { $0.offset != skipped }.map(\.element)) }
            for _ in 0..<8 { subsets.append(sectors.filter { _ in random.next(in: 0...1) == 1 }) }
            var seen: Set<[Int]> = [[]]
            for subset in subsets where seen.insert(subset.map(\.lowerBound)).inserted {
                var image = disk.durable
                for range in subset {
                    image[segment]?.replaceSubrange(range, with: bytes[(range.lowerBound - offset)..<(range.upperBound - offset)])
                }
                images.append(image)
            }
        }
        return images
    }

    /// The batches a store recovered after `crash` events may hold as its last: the last
    /// one acknowledged (nil: not even the opening), or the one in flight, whole.
    static func allowedBatches(at crash: Int, in run: Run) -> [Int?] {
        let acknowledged = run.batches.lastIndex { $0.acknowledgedAt <= crash }
        let next = (acknowledged ?? -1) + 1
        guard next < run.batches.count, run.batches[next].began < crash else { return [acknowledged] }
        return [acknowledged, next]
    }

    /// The checkpoints that can be the one on the disk after `crash` events: the newest
    /// taken before them, and one whose `checkpoint()` call came right after them (its
    /// rename may or may not have landed).
    static func checkpoints(durableAt crash: Int, in run: Run) -> [Checkpoint] {
        let older = run.checkpoints.last { $0.takenAfter < crash }
        let racing = run.checkpoints.filter { $0.takenAfter == crash }
        return (older.map { [$0] } ?? []) + racing
    }

    // MARK: - Recovery

    /// Temporary files on tmpfs when there is one: a thousand data directories are
    /// written and opened, and their flushes cost nothing there.
    static func scratchDirectory() -> String {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : FileManager.default.temporaryDirectory.path
        return base + "/tidemark-power-loss-\(UUID().uuidString)"
    }

    /// A data directory as the disk holds it after the crash: the segments, the
    /// checkpoint, the state of a store open in boot A, and a torn data file.
    static func materialize(
        _ segments: [UInt64: [UInt8]], checkpoint: Checkpoint, dataFile: [UInt8] = tornDataFile, at directory: String
    ) throws {
        try JournalTestSupport.makeDirectory(directory + "/journal")
        let storage = try PosixJournalStorage(directory: directory + "/journal")
        for (first, bytes) in segments { try JournalTestSupport.write(bytes, to: storage.path(of: first)) }
        try JournalTestSupport.write(Array("open A\n".utf8), to: directory + "/journal/state")
        try JournalTestSupport.write(checkpoint.bytes, to: directory + "/checkpoint.mdb")
        try JournalTestSupport.write(dataFile, to: directory + "/data.mdb")
    }

    static let tornDataFile: [UInt8] = {
        var random = SeededGenerator(seed: 7)
        return (0..<(16 << 10)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }()

    /// Opens the image in `directory` in `boot` (B: after a power loss; A: after a
    /// process crash) and says what is wrong with it, if anything.
    static func check(_ directory: String, allowed: [Int?], epochAcknowledged: Bool, run: Run, boot: String = "B") -> [String] {
        let store: LMDBStore
        do {
            store = try LMDBStore(
                path: directory, options: JournalTestSupport.options(boot: boot, segmentBytes: segmentBytes), clock: { run.now })
        } catch {
            return ["the image does not open: \(error)"]
        }
        var problems: [String] = []
        do {
            let seen = try Seen(store)
            let candidates = allowed.map { index in index.map { run.batches[$0].seen } }
            let matches = candidates.contains { candidate in
                candidate == seen || (candidate == nil && seen.lsn == 0)
            }
            if !matches {
                problems.append("recovered \(seen), but the last acknowledged batch left \(candidates.map { $0?.description ?? "nothing" })")
            }
            if epochAcknowledged && store.epoch != run.epoch { problems.append("the epoch changed") }
            let records = try store.log(LogQuery(limit: 100_000)).records
            if records != run.records.filter({ $0.lsn <= seen.lsn }) {
                problems.append("the records are not the first \(seen.lsn) written")
            }
            let report = try store.verify()
            if !report.isClean { problems.append("verify: \(report.discrepancies.prefix(3))") }
            // The journal goes on from what was recovered.
            let next = try store.apply([MutationRequest(.write(changes: [Change(table: "after")], meta: nil), peer: alice)])
            let written: LSN? = if case .success(.written(let lsn, _)) = next.outcomes.first { lsn } else { nil }
            if written != seen.lsn + 1 { problems.append("the write after recovery answered \(next.outcomes)") }
        } catch {
            problems.append("reading the recovered store failed: \(error)")
        }
        return problems
    }
}
