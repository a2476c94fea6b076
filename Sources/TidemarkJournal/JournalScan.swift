#if canImport(Glibc)
import Glibc
#endif

/// Recovery's read of a segment: the frames from its start up to the first that is torn,
/// zero (the end) or does not continue the LSNs. Everything after it was never
/// acknowledged: a frame is acknowledged only once the flush after its write returned,
/// and a flush makes every earlier write durable.
public struct JournalScan: Hashable, Sendable {
    public var frames: [JournalFrame]
    /// Where the next frame goes: just after the last good one.
    public var end: Int
    /// Bytes after `end` that are not zero (a torn or unacknowledged tail), which
    /// `discardTail` zeroes.
    public var tail: Int

    /// Reads `file` from offset 0. `firstLSN`, when given, is the LSN the first frame must
    /// have (the one after what the store holds); later frames must each be one more.
    public static func read(_ file: any JournalFile, firstLSN: UInt64? = nil) throws(JournalError) -> JournalScan {
        let bytes = ArraySlice(try file.read(at: 0, count: file.size))
        var frames: [JournalFrame] = []
        var offset = bytes.startIndex
        var expected = firstLSN
        scanning: while offset < bytes.endIndex {
            switch JournalFrame.decode(bytes[offset...]) {
            case .frame(let frame, let size):
                if let expected, frame.lsn != expected { break scanning }
                frames.append(frame)
                expected = frame.lsn &+ 1
                offset += size
            case .end, .torn:
                break scanning
            }
        }
        return JournalScan(frames: frames, end: offset, tail: nonZeroExtent(of: bytes[offset...]))
    }

    /// Zeroes the tail after the last good frame and flushes, so that frames appended
    /// from `end` on are never followed by stale bytes that could read as frames.
    public func discardTail(of file: any JournalFile) throws(JournalError) {
        guard tail > 0 else { return }
        try file.write([UInt8](repeating: 0, count: tail), at: end)
        try file.sync()
    }

    /// How far into `bytes` the last non-zero byte lies (0 when all are zero). Compared a
    /// page at a time from the end: a segment is mostly zeros, and a byte-by-byte walk of
    /// 16 MiB is slow in a debug build.
    private static func nonZeroExtent(of bytes: ArraySlice<UInt8>) -> Int {
        let page = 4096
        let zeros = [UInt8](repeating: 0, count: page)
        return bytes.withUnsafeBytes { buffer in
            var end = buffer.count
            while end > 0 {
                let start = max(0, end - page)
                let allZero = zeros.withUnsafeBytes { memcmp(buffer.baseAddress! + start, $0.baseAddress!, end - start) == 0 }
                if !allZero {
                    let last = buffer[start..<end].lastIndex { $0 != 0 }!
                    return last + 1
                }
                end = start
            }
            return 0
        }
    }
}
