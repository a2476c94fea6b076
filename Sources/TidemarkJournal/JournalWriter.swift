/// Appends group commits to one segment: each commit's frames in one write, then one
/// flush; the commit is acknowledged only after the flush returns. One writer owns it
/// (the store's writer thread), so it is not `Sendable`.
public final class JournalWriter {
    private let file: any JournalFile
    /// Where the next frame goes.
    public private(set) var offset: Int
    /// The LSN the next frame must have.
    public private(set) var nextLSN: UInt64

    /// Continues the journal a `JournalScan` read (after `discardTail`).
    public init(file: any JournalFile, after scan: JournalScan, nextLSN: UInt64) {
        self.file = file
        offset = scan.end
        self.nextLSN = nextLSN
    }

    /// Writes `frames` (LSNs continuing the journal) and makes them durable: one write and
    /// one flush. On an error nothing is acknowledged, and the next append starts over
    /// at the same offset (a torn write there is overwritten).
    public func append(_ frames: [JournalFrame]) throws(JournalError) {
        guard !frames.isEmpty else { return }
        for (index, frame) in frames.enumerated() where frame.lsn != nextLSN + UInt64(index) {
            throw JournalError(.invalidArgument, "frame \(index) has lsn \(frame.lsn), not \(nextLSN + UInt64(index))")
        }
        var bytes: [UInt8] = []
        for frame in frames { bytes += frame.encoded }
        try file.write(bytes, at: offset)
        try file.sync()
        offset += bytes.count
        nextLSN += UInt64(frames.count)
    }

    /// Zeroes and flushes `count` bytes where the next frame goes: what a failed append
    /// may have left there.
    func discard(count: Int) throws(JournalError) {
        try file.write([UInt8](repeating: 0, count: count), at: offset)
        try file.sync()
    }

    /// Takes back the last append of `count` bytes at `offset`: zeroes and flushes them, and
    /// the next append goes there again.
    func withdraw(count: Int, at offset: Int) throws(JournalError) {
        precondition(offset + count == self.offset, "only the last append can be withdrawn")
        try file.write([UInt8](repeating: 0, count: count), at: offset)
        try file.sync()
        self.offset = offset
        nextLSN -= 1
    }
}
