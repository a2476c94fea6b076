import Foundation
import Testing
import TidemarkJournal

/// A storage whose spare cannot be prepared (the disk is full when the tick comes) but
/// whose segments can still be created later, once space is back.
private final class NoSpareStorage: JournalStorage {
    private let base: PosixJournalStorage
    private(set) var spareAttempts = 0

    init(directory: String) throws(JournalError) {
        base = try PosixJournalStorage(directory: directory)
    }

    func segments() throws(JournalError) -> [UInt64] { try base.segments() }
    func openSegment(startingAt sequence: UInt64) throws(JournalError) -> any JournalFile {
        try base.openSegment(startingAt: sequence)
    }
    func createSegment(startingAt sequence: UInt64, size: Int) throws(JournalError) -> any JournalFile {
        try base.createSegment(startingAt: sequence, size: size)
    }
    func removeSegment(startingAt sequence: UInt64) throws(JournalError) { try base.removeSegment(startingAt: sequence) }
    func prepareSpare(size: Int) throws(JournalError) -> Bool {
        spareAttempts += 1
        throw JournalError(.full, "no space on the disk for the journal", cause: "ENOSPC (injected)")
    }
}

@Suite struct JournalSpareFailureTests {
    @Test func aSpareThatCannotBePreparedLeavesAppendsAndRotationWorking() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-journal-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let storage = try NoSpareStorage(directory: directory.path)
        let journal = try Journal(storage: storage, segmentSize: 4 << 10, emptyStart: 1)
        let payload = [UInt8](repeating: 7, count: 500)
        var refused = 0
        for sequence in UInt64(1)...30 {
            do {
                try journal.prepareSpareIfNeeded()
            } catch {
                #expect(error.code == .full)
                refused += 1
            }
            #expect(try journal.append(payload) == sequence)
        }
        #expect(refused > 0 && refused == storage.spareAttempts, "the tick tried to prepare a spare, and was told why not")
        #expect(journal.status.segments > 2, "rotation created segments itself")
        var read: [UInt64] = []
        try Journal(storage: PosixJournalStorage(directory: directory.path), segmentSize: 4 << 10, emptyStart: 1)
            .frames(from: 1) { read.append($0.lsn) }
        #expect(read == Array(1...30))
    }
}
