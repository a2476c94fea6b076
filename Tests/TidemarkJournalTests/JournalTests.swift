import Foundation
import Testing
import TidemarkJournal

/// The journal over a real directory: rotation into new segments, the spare segment
/// prepared ahead of a rotation, release below a checkpoint, and withdrawal.
@Suite struct JournalTests {
    private static func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-journal-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory.path)
    }

    private static func payload(_ sequence: UInt64) -> [UInt8] {
        Array("transaction \(sequence) ".utf8) + [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: 300)
    }

    @Test func framesRotateThroughTheSpareAndReadBackInOrderAfterReopening() throws {
        try Self.withDirectory { path in
            let storage = try PosixJournalStorage(directory: path)
            let journal = try Journal(storage: storage, segmentSize: 8 << 10, emptyStart: 1)
            var spareAdopted = false
            for sequence in UInt64(1)...100 {
                try journal.prepareSpareIfNeeded()
                let spareReady = FileManager.default.fileExists(atPath: path + "/spare.segment")
                let segmentsBefore = journal.status.segments
                #expect(try journal.append(Self.payload(sequence)) == sequence)
                if journal.status.segments > segmentsBefore, spareReady {
                    // The rotation renamed the spare into place rather than zero-filling a new one.
                    #expect(!FileManager.default.fileExists(atPath: path + "/spare.segment"))
                    spareAdopted = true
                }
            }
            #expect(spareAdopted)
            #expect(journal.status.segments > 3)
            let reopened = try Journal(storage: PosixJournalStorage(directory: path), segmentSize: 8 << 10, emptyStart: 1)
            var read: [UInt64] = []
            try reopened.frames(from: 1) { frame in
                #expect(frame.payload == Self.payload(frame.lsn))
                read.append(frame.lsn)
            }
            #expect(read == Array(1...100))
            #expect(reopened.status.next == 101)
        }
    }

    @Test func releaseKeepsEveryFrameAboveTheCheckpointAndTheSegmentBeingWritten() throws {
        try Self.withDirectory { path in
            let journal = try Journal(storage: PosixJournalStorage(directory: path), segmentSize: 4 << 10, emptyStart: 1)
            for sequence in UInt64(1)...60 { try journal.append(Self.payload(sequence)) }
            let before = journal.status.segments
            try journal.release(through: 30)
            #expect(journal.status.segments < before)
            #expect(journal.status.first <= 31)
            var read: [UInt64] = []
            try journal.frames(from: 31) { read.append($0.lsn) }
            #expect(read == Array(31...60))
            try journal.release(through: 60)
            #expect(journal.status.segments == 1, "the segment being written stays")
            #expect(try journal.append(Self.payload(61)) == 61)
        }
    }

    @Test func aWithdrawnAppendIsNeverReadBackAndItsSequenceIsReused() throws {
        try Self.withDirectory { path in
            let journal = try Journal(storage: PosixJournalStorage(directory: path), segmentSize: 64 << 10, emptyStart: 5)
            try journal.append(Self.payload(5))
            try journal.append(Self.payload(6))
            try journal.withdrawLastAppend()
            #expect(try journal.append(Self.payload(99)) == 6)
            let reopened = try Journal(storage: PosixJournalStorage(directory: path), segmentSize: 64 << 10, emptyStart: 5)
            var read: [[UInt8]] = []
            try reopened.frames(from: 1) { read.append($0.payload) }
            #expect(read == [Self.payload(5), Self.payload(99)])
        }
    }
}
