import Foundation
import Testing
import TidemarkJournal

/// The segment on a real file system: created zero-filled at its size, appended to with
/// one write and one flush per commit, and read back after it is opened again.
@Suite struct PosixJournalFileTests {
    @Test func aSegmentIsCreatedZeroFilledAndKeepsItsFramesAcrossReopening() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tm-journal-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("segment-1").path

        let frames = (1...50).map { JournalFrame(lsn: UInt64($0), payload: Array("record \($0)".utf8)) }
        do {
            let file = try PosixJournalFile(path: path, size: 1 << 20)
            #expect(file.size == 1 << 20)
            let scan = try JournalScan.read(file)
            #expect(scan.frames.isEmpty && scan.end == 0 && scan.tail == 0)
            let writer = JournalWriter(file: file, after: scan, nextLSN: 1)
            for batch in stride(from: 0, to: frames.count, by: 7) { try writer.append(Array(frames[batch..<min(batch + 7, frames.count)])) }
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".new"))
        let reopened = try PosixJournalFile(path: path, size: 1 << 20)
        let scan = try JournalScan.read(reopened, firstLSN: 1)
        #expect(scan.frames == frames)
        // Larger than the room left: refused whole, as a full disk is.
        let writer = JournalWriter(file: reopened, after: scan, nextLSN: 51)
        #expect(throws: JournalError.self) { try writer.append([JournalFrame(lsn: 51, payload: [UInt8](repeating: 1, count: 2 << 20))]) }
        #expect(try JournalScan.read(reopened, firstLSN: 1).frames == frames)
    }
}
