import TidemarkJournal

/// A journal file in memory that records every write and flush in order, so a test can
/// build the disk images a power loss at any moment could leave.
final class RecordingJournalFile: JournalFile {
    enum Operation: Equatable {
        case write(offset: Int, bytes: [UInt8])
        case sync
    }

    private(set) var bytes: [UInt8]
    private(set) var operations: [Operation] = []
    /// Set to make the next write fail as a full disk would (nothing written).
    var failNextWrite: JournalError?

    init(size: Int) {
        bytes = [UInt8](repeating: 0, count: size)
    }

    /// A file holding `image` (a crash image), recording from there.
    init(image: [UInt8]) {
        bytes = image
    }

    var size: Int { bytes.count }

    func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8] {
        Array(bytes[offset..<min(bytes.count, offset + count)])
    }

    func write(_ written: [UInt8], at offset: Int) throws(JournalError) {
        if let failure = failNextWrite {
            failNextWrite = nil
            throw failure
        }
        guard offset + written.count <= bytes.count else { throw JournalError(.full, "the segment is full") }
        bytes.replaceSubrange(offset..<offset + written.count, with: written)
        operations.append(.write(offset: offset, bytes: written))
    }

    func sync() throws(JournalError) {
        operations.append(.sync)
    }
}
