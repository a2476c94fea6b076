import Foundation

/// The write-ahead journal of a store: numbered frames, one per transaction, in
/// preallocated segments named by their first sequence number. An append is durable when
/// it returns. Recovery reads the frames back from the oldest segment kept; once a
/// checkpoint holds everything up to a sequence, the segments wholly below it are removed.
///
/// One writer thread appends; a checkpoint may release segments from another thread.
public final class Journal: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`.
    private let storage: any JournalStorage
    private let segmentSize: Int
    private let lock = NSLock()
    /// Kept segments, oldest first; the last is written to.
    private var segments: [Segment]
    private var writer: JournalWriter
    /// Where the last append began, so a failed commit can take it back.
    private var lastAppend: (offset: Int, count: Int)?
    private var failure: JournalError?
    /// Whether a spare segment should be prepared (none is known to be ready).
    private var spareWanted = true

    private struct Segment {
        var first: UInt64
        var file: any JournalFile
    }

    /// Statistics for `stats` and the checkpoint's schedule.
    public struct Status: Hashable, Sendable {
        /// The sequence of the oldest frame kept.
        public var first: UInt64
        /// The sequence the next append gets.
        public var next: UInt64
        public var segments: Int
        /// Bytes of frames in the kept segments.
        public var bytes: Int
    }

    /// Opens the journal in `storage`, reading every kept segment: their frames must
    /// continue one another. A torn tail of the last segment (a write a power loss cut,
    /// never acknowledged) is zeroed. A new journal starts at `emptyStart`.
    public init(storage: any JournalStorage, segmentSize: Int, emptyStart: UInt64) throws(JournalError) {
        self.storage = storage
        self.segmentSize = segmentSize
        var segments: [Segment] = []
        for first in try storage.segments().sorted() {
            segments.append(Segment(first: first, file: try storage.openSegment(startingAt: first)))
        }
        if segments.isEmpty {
            segments.append(Segment(first: emptyStart, file: try storage.createSegment(startingAt: emptyStart, size: segmentSize)))
        }
        let inspection = try JournalInspection.inspect(segments.map { ($0.first, $0.file) })
        if let problem = inspection.problems.first { throw JournalError(.corrupted, "journal \(problem)") }
        let scan = inspection.lastScan ?? JournalScan(frames: [], end: 0, tail: 0)
        try scan.discardTail(of: segments[segments.count - 1].file)
        self.segments = segments
        writer = JournalWriter(file: segments[segments.count - 1].file, after: scan, nextLSN: inspection.next)
    }

    /// The sequence the next append gets; read by every journaled transaction, so it
    /// costs one lock and nothing more.
    public var nextSequence: UInt64 {
        lock.withLock { writer.nextLSN }
    }

    /// Calls `body` with every frame kept from `sequence` on, in order.
    public func frames(from sequence: UInt64, _ body: (JournalFrame) throws -> Void) throws {
        let kept = lock.withLock { segments }
        for segment in kept {
            for frame in try JournalScan.read(segment.file, firstLSN: segment.first).frames where frame.lsn >= sequence {
                try body(frame)
            }
        }
    }

    public var status: Status {
        lock.withLock {
            let full = segments.dropLast().reduce(0) { sum, segment in sum + segment.file.size }
            return Status(first: segments.first?.first ?? writer.nextLSN, next: writer.nextLSN, segments: segments.count, bytes: full + writer.offset)
        }
    }

    /// Appends one frame and makes it durable; returns its sequence number. A frame that
    /// does not fit in the segment goes into a new one.
    @discardableResult
    public func append(_ payload: [UInt8]) throws(JournalError) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        guard !payload.isEmpty, payload.count <= JournalFrame.maxPayload else {
            throw JournalError(
                .invalidArgument,
                "a transaction of \(payload.count) bytes does not fit in one journal frame (1 byte to 1 GiB); nothing was written")
        }
        let frame = JournalFrame(lsn: writer.nextLSN, payload: payload)
        let size = JournalFrame.headerSize + payload.count
        if writer.offset + size > segments[segments.count - 1].file.size {
            let needed = max(segmentSize, size)
            let file: any JournalFile
            if let spare = try storage.adoptSpare(startingAt: frame.lsn, size: needed) {
                file = spare
            } else {
                file = try storage.createSegment(startingAt: frame.lsn, size: needed)
            }
            spareWanted = true
            segments.append(Segment(first: frame.lsn, file: file))
            writer = JournalWriter(file: file, after: JournalScan(frames: [], end: 0, tail: 0), nextLSN: frame.lsn)
        }
        let offset = writer.offset
        do {
            try writer.append([frame])
        } catch {
            // A write or flush that failed may have left the frame, whole or torn, where
            // the next append would overwrite it. But if the next one goes to a new
            // segment instead, the frame stays behind it, and recovery refuses a journal
            // whose segments do not continue one another (or replays a refused write). So
            // it is zeroed now; if even that fails, no later append is taken.
            do {
                try writer.discard(count: size)
            } catch let discarding {
                failure = JournalError(
                    .io, "the journal could not take back a failed write; restart the server", cause: discarding.message)
            }
            throw error
        }
        lastAppend = (offset, size)
        return frame.lsn
    }

    /// Takes back the last append (its transaction did not commit): zeroed and flushed,
    /// so recovery never replays it. If even that fails, the journal refuses every later
    /// append, since their frames would follow one that must not be replayed.
    public func withdrawLastAppend() throws(JournalError) {
        lock.lock()
        defer { lock.unlock() }
        guard let last = lastAppend else { return }
        lastAppend = nil
        do {
            try writer.withdraw(count: last.count, at: last.offset)
        } catch {
            failure = JournalError(.io, "the journal could not take back a failed write; restart the server", cause: error.message)
            throw error
        }
    }

    /// Removes the segments whose frames all lie at or below `sequence` (a checkpoint
    /// holds them). The segment being written is always kept.
    public func release(through sequence: UInt64) throws(JournalError) {
        lock.lock()
        defer { lock.unlock() }
        while segments.count > 1 && segments[1].first <= sequence &+ 1 {
            try storage.removeSegment(startingAt: segments[0].first)
            segments.removeFirst()
        }
    }

    /// Prepares the next segment while the current one is past half full, off the writer's
    /// thread (a checkpoint tick calls it): zero-filling 16 MiB takes tens of milliseconds,
    /// which every write queued behind a rotation would otherwise wait.
    public func prepareSpareIfNeeded() throws(JournalError) {
        let wanted = lock.withLock {
            spareWanted && writer.offset > segments[segments.count - 1].file.size / 2
        }
        guard wanted else { return }
        let prepared = try storage.prepareSpare(size: segmentSize)
        lock.withLock { spareWanted = !prepared }
    }

    /// Removes every segment: the journal's frames are all elsewhere now, and it is not
    /// written again.
    public func removeAll() throws(JournalError) {
        lock.lock()
        defer { lock.unlock() }
        for segment in segments { try storage.removeSegment(startingAt: segment.first) }
        try storage.removeSpare()
        segments.removeAll()
        failure = JournalError(.io, "the journal was removed")
    }
}
