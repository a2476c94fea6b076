/// What `verify` reads of a journal, changing nothing: the kept segments, their frames'
/// checksums and sequence numbers, and whether each segment continues the one before.
public struct JournalInspection: Hashable, Sendable {
    /// Kept segments, by first sequence.
    public var segments: [UInt64] = []
    /// The oldest frame kept (the first segment's first sequence).
    public var first: UInt64 = 0
    /// The sequence after the last good frame.
    public var next: UInt64 = 0
    public var frames = 0
    /// Non-zero bytes after the last good frame of the last segment: a write a crash cut,
    /// never acknowledged, which the server zeroes at its next start.
    public var tornTail = 0
    /// Everything that is not as the journal writes it.
    public var problems: [String] = []

    /// The last segment's scan, from which the journal's writer continues.
    public var lastScan: JournalScan?

    public static func inspect(_ storage: any JournalStorage) throws(JournalError) -> JournalInspection {
        var segments: [(first: UInt64, file: any JournalFile)] = []
        for start in try storage.segments().sorted() {
            segments.append((start, try storage.openSegment(startingAt: start)))
        }
        return try inspect(segments)
    }

    /// Reads `segments`, already opened and in order: what `verify` reports, and what
    /// `Journal` refuses to open over when `problems` is not empty.
    public static func inspect(_ segments: [(first: UInt64, file: any JournalFile)]) throws(JournalError) -> JournalInspection {
        var inspection = JournalInspection()
        inspection.segments = segments.map(\.first)
        guard let first = segments.first?.first else { return inspection }
        inspection.first = first
        var next = first
        for (index, segment) in segments.enumerated() {
            if segment.first != next {
                inspection.problems.append(
                    "segment \(segment.first) does not continue the frames before it, which end at \(next - 1)")
            }
            let scan = try JournalScan.read(segment.file, firstLSN: segment.first)
            next = segment.first + UInt64(scan.frames.count)
            inspection.frames += scan.frames.count
            if index == segments.count - 1 {
                inspection.tornTail = scan.tail
                inspection.lastScan = scan
            } else if scan.tail > 0 {
                inspection.problems.append(
                    "segment \(segment.first) has \(scan.tail) damaged bytes after frame \(next - 1), before its end")
            }
        }
        inspection.next = next
        return inspection
    }
}
