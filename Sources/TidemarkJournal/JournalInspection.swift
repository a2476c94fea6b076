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

    public static func inspect(_ storage: any JournalStorage) throws(JournalError) -> JournalInspection {
        var inspection = JournalInspection()
        inspection.segments = try storage.segments().sorted()
        guard let first = inspection.segments.first else { return inspection }
        inspection.first = first
        var next = first
        for (index, start) in inspection.segments.enumerated() {
            if start != next {
                inspection.problems.append("segment \(start) does not continue the frames before it, which end at \(next - 1)")
            }
            let scan = try JournalScan.read(try storage.openSegment(startingAt: start), firstLSN: start)
            next = start + UInt64(scan.frames.count)
            inspection.frames += scan.frames.count
            if index == inspection.segments.count - 1 {
                inspection.tornTail = scan.tail
            } else if scan.tail > 0 {
                inspection.problems.append("segment \(start) has \(scan.tail) damaged bytes after frame \(next - 1), before its end")
            }
        }
        inspection.next = next
        return inspection
    }
}
