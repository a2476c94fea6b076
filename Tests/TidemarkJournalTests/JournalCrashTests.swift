import Testing
import TidemarkJournal

/// Power loss, simulated the way SQLite's crash-test VFS and the ALICE and CrashMonkey
/// studies do it: a workload of group commits runs against a recording file; then, at
/// every point of that run, every disk image a power loss there could leave is built
/// (writes after the last completed flush dropped, torn at a sector boundary, or with
/// their sectors landed out of order) and recovered. Every commit acknowledged before the
/// point must be there, LSNs dense from 1, nothing half-written taken for a frame, and
/// the journal must go on from there.
@Suite struct JournalCrashTests {
    static let sector = 512

    struct Commit {
        var frames: [JournalFrame]
        /// The index of the flush that acknowledged it in the recorded operations.
        var acknowledgedAt: Int
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func everyAcknowledgedCommitSurvivesEveryCrashImage(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        let file = RecordingJournalFile(size: 32 << 10)
        let writer = JournalWriter(file: file, after: try JournalScan.read(file), nextLSN: 1)
        var commits: [Commit] = []
        var lsn: UInt64 = 1
        while writer.offset < 24 << 10 {
            let frames = (0..<random.next(in: 1...5)).map { _ -> JournalFrame in
                defer { lsn += 1 }
                return JournalFrame(lsn: lsn, payload: (0..<random.next(in: 1...600)).map { _ in UInt8(random.next(in: 0...255)) })
            }
            try writer.append(frames)
            commits.append(Commit(frames: frames, acknowledgedAt: file.operations.count - 1))
        }
        let written = Dictionary(uniqueKeysWithValues: commits.flatMap(\.frames).map { ($0.lsn, $0) })

        var images = 0
        for crash in 0...file.operations.count {
            let operations = file.operations[..<crash]
            let lastSync = operations.lastIndex(of: .sync) ?? -1
            var durable = [UInt8](repeating: 0, count: file.size)
            for case .write(let offset, let bytes) in operations[...lastSync] {
                durable.replaceSubrange(offset..<offset + bytes.count, with: bytes)
            }
            let acknowledged = commits.filter { $0.acknowledgedAt < crash }.flatMap(\.frames).count
            let pending = operations[(lastSync + 1)...].compactMap { operation -> (Int, [UInt8])? in
                guard case .write(let offset, let bytes) = operation else { return nil }
                return (offset, bytes)
            }
            for image in Self.images(durable, pending: pending, random: &random) {
                images += 1
                try Self.recover(image, acknowledged: acknowledged, written: written)
            }
        }
        // Every point of the run, and several images for each write in flight.
        #expect(images > commits.count * 8, "only \(images) crash images for \(commits.count) commits")
    }

    /// What a power loss can leave of `pending` writes (issued, not yet flushed) over the
    /// durable image: none of them; each torn after every sector; its sectors landed
    /// backwards (the last ones first); every one but one sector; and random subsets.
    static func images(_ durable: [UInt8], pending: [(Int, [UInt8])], random: inout SplitMix) -> [[UInt8]] {
        var images = [durable]
        for (offset, bytes) in pending {
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
            for subset in subsets {
                var image = durable
                for range in subset {
                    image.replaceSubrange(range, with: bytes[(range.lowerBound - offset)..<(range.upperBound - offset)])
                }
                images.append(image)
            }
        }
        return images
    }

    /// Recovers `image` and checks it against what was written and acknowledged; then the
    /// journal goes on from the recovered end.
    static func recover(_ image: [UInt8], acknowledged: Int, written: [UInt64: JournalFrame]) throws {
        let file = RecordingJournalFile(image: image)
        let scan = try JournalScan.read(file, firstLSN: 1)
        #expect(scan.frames.count >= acknowledged, "an acknowledged commit was lost")
        for (index, frame) in scan.frames.enumerated() {
            #expect(frame.lsn == UInt64(index + 1))
            #expect(written[frame.lsn] == frame, "lsn \(frame.lsn) is not what was written")
        }
        try scan.discardTail(of: file)
        let next = UInt64(scan.frames.count + 1)
        let writer = JournalWriter(file: file, after: scan, nextLSN: next)
        let appended = JournalFrame(lsn: next, payload: [7, 7, 7])
        try writer.append([appended])
        #expect(try JournalScan.read(file, firstLSN: 1).frames == scan.frames + [appended])
    }

    /// A full disk on append: nothing is acknowledged, nothing earlier is lost, and the
    /// next append (once there is space) continues where the failed one began.
    @Test func aFailedAppendLosesNothingAndTheNextOneContinues() throws {
        let file = RecordingJournalFile(size: 4096)
        let writer = JournalWriter(file: file, after: try JournalScan.read(file), nextLSN: 1)
        let first = JournalFrame(lsn: 1, payload: [1])
        try writer.append([first])
        file.failNextWrite = JournalError(.full, "no space for the journal")
        let failed = JournalFrame(lsn: 2, payload: [2])
        #expect(throws: JournalError.self) { try writer.append([failed]) }
        #expect(writer.nextLSN == 2)
        #expect(try JournalScan.read(file, firstLSN: 1).frames == [first])
        try writer.append([failed])
        #expect(try JournalScan.read(file, firstLSN: 1).frames == [first, failed])
        // Frames that do not continue the journal are refused before anything is written.
        #expect(throws: JournalError.self) { try writer.append([JournalFrame(lsn: 9, payload: [9])]) }
        // A commit larger than the room left is refused whole.
        #expect(throws: JournalError.self) { try writer.append([JournalFrame(lsn: 3, payload: [UInt8](repeating: 3, count: 8192))]) }
        #expect(try JournalScan.read(file, firstLSN: 1).frames == [first, failed])
    }

    /// A stale frame after the end (from before a crash, with an LSN that does not follow)
    /// is not taken, and is zeroed before the journal goes on.
    @Test func aFrameThatDoesNotContinueTheLSNsEndsTheJournal() throws {
        let file = RecordingJournalFile(size: 4096)
        let first = JournalFrame(lsn: 5, payload: [5]).encoded
        let stale = JournalFrame(lsn: 9, payload: [9]).encoded
        try file.write(first + stale, at: 0)
        let scan = try JournalScan.read(file, firstLSN: 5)
        #expect(scan.frames.map(\.lsn) == [5])
        #expect(scan.end == first.count && scan.tail == stale.count)
        try scan.discardTail(of: file)
        #expect(try JournalScan.read(file, firstLSN: 5).tail == 0)
        #expect(try JournalScan.read(file, firstLSN: 6).frames.isEmpty)
    }
}

/// A small seeded generator, so every crash image can be built again.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next(in range: ClosedRange<Int>) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        return range.lowerBound + Int(mixed % UInt64(range.count))
    }
}
