import Foundation
import Synchronization
import TidemarkJournal

/// Journal segments in memory that record every creation, write, flush and removal, in
/// the order the store made them, so that a test can build every disk image a power loss
/// at any moment of a run could leave.
///
/// Sendable because the store's storage factory is `@Sendable`; the segments' bytes and
/// the events are guarded by one mutex.
final class RecordingJournalStorage: JournalStorage, Sendable {
    enum Event: Hashable, Sendable {
        /// A zero-filled segment, durably in place once created (as `JournalStorage`
        /// promises).
        case create(segment: UInt64, size: Int)
        /// Bytes written to a segment: durable only once a later `sync` of that segment
        /// has returned.
        case write(segment: UInt64, offset: Int, bytes: [UInt8])
        case sync(segment: UInt64)
        /// Durably removed once it returns.
        case remove(segment: UInt64)
    }

    private struct State {
        var segments: [UInt64: [UInt8]] = [:]
        var events: [Event] = []
    }

    private let state = Mutex(State())

    /// The store keeps `journal/state` beside the segments, so the directory must exist
    /// even though no segment is a file in it.
    init(directory: String) throws(JournalError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw JournalError(.io, "cannot create \(directory)", cause: "\(error)")
        }
    }

    var events: [Event] { state.withLock { $0.events } }
    var eventCount: Int { state.withLock { $0.events.count } }

    func segments() throws(JournalError) -> [UInt64] {
        state.withLock { Array($0.segments.keys) }
    }

    func openSegment(startingAt sequence: UInt64) throws(JournalError) -> any JournalFile {
        guard state.withLock({ $0.segments[sequence] != nil }) else {
            throw JournalError(.io, "no journal segment \(sequence)")
        }
        return Segment(storage: self, first: sequence)
    }

    func createSegment(startingAt sequence: UInt64, size: Int) throws(JournalError) -> any JournalFile {
        state.withLock { state in
            state.segments[sequence] = [UInt8](repeating: 0, count: size)
            state.events.append(.create(segment: sequence, size: size))
        }
        return Segment(storage: self, first: sequence)
    }

    func removeSegment(startingAt sequence: UInt64) throws(JournalError) {
        state.withLock { state in
            state.segments[sequence] = nil
            state.events.append(.remove(segment: sequence))
        }
    }

    /// One segment, read and written through the storage's state.
    final class Segment: JournalFile {
        private let storage: RecordingJournalStorage
        private let first: UInt64
        let size: Int

        init(storage: RecordingJournalStorage, first: UInt64) {
            self.storage = storage
            self.first = first
            size = storage.state.withLock { $0.segments[first]?.count ?? 0 }
        }

        func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8] {
            storage.state.withLock { state in
                let bytes = state.segments[first] ?? []
                return Array(bytes[min(offset, bytes.count)..<min(bytes.count, offset + count)])
            }
        }

        func write(_ bytes: [UInt8], at offset: Int) throws(JournalError) {
            guard offset + bytes.count <= size else { throw JournalError(.full, "the segment is full") }
            storage.state.withLock { state in
                state.segments[first]?.replaceSubrange(offset..<offset + bytes.count, with: bytes)
                state.events.append(.write(segment: first, offset: offset, bytes: bytes))
            }
        }

        func sync() throws(JournalError) {
            storage.state.withLock { $0.events.append(.sync(segment: first)) }
        }
    }
}
