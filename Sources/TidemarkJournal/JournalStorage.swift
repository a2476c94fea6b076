#if canImport(Glibc)
import Glibc
#endif

/// The segments of one journal directory: listing, opening, creating and removing them.
/// With `JournalFile`, the seam a crash test replaces to record every write and flush.
public protocol JournalStorage: AnyObject {
    /// The segments' first sequence numbers, in any order.
    func segments() throws(JournalError) -> [UInt64]
    func openSegment(startingAt sequence: UInt64) throws(JournalError) -> any JournalFile
    /// A new zero-filled segment of `size` bytes, durably in place when this returns.
    func createSegment(startingAt sequence: UInt64, size: Int) throws(JournalError) -> any JournalFile
    /// Removes a segment, durably.
    func removeSegment(startingAt sequence: UInt64) throws(JournalError)
    /// Zero-fills a spare segment of `size` bytes ahead of need, so that the writer's next
    /// rotation does not wait for it; false if this storage keeps no spare.
    func prepareSpare(size: Int) throws(JournalError) -> Bool
    /// The spare, durably renamed into place as the segment starting at `sequence`; nil
    /// if there is none of at least `size` bytes.
    func adoptSpare(startingAt sequence: UInt64, size: Int) throws(JournalError) -> (any JournalFile)?
    func removeSpare() throws(JournalError)
}

extension JournalStorage {
    public func prepareSpare(size: Int) throws(JournalError) -> Bool { false }
    public func adoptSpare(startingAt sequence: UInt64, size: Int) throws(JournalError) -> (any JournalFile)? { nil }
    public func removeSpare() throws(JournalError) {}
}

/// Segments as files `<first sequence, 20 digits>.journal` in a directory.
public final class PosixJournalStorage: JournalStorage {
    public let directory: String
    private let synchronousWrites: Bool

    static let suffix = ".journal"

    /// Creates `directory` (0700) when missing.
    public init(directory: String, synchronousWrites: Bool = true) throws(JournalError) {
        self.directory = directory
        self.synchronousWrites = synchronousWrites
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw PosixJournalFile.failure("cannot create the journal directory \(directory)")
        }
    }

    public func segments() throws(JournalError) -> [UInt64] {
        guard let listing = opendir(directory) else {
            throw PosixJournalFile.failure("cannot list the journal directory \(directory)")
        }
        defer { closedir(listing) }
        var found: [UInt64] = []
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(Self.suffix), let sequence = UInt64(name.dropLast(Self.suffix.count)) else { continue }
            found.append(sequence)
        }
        return found
    }

    public func openSegment(startingAt sequence: UInt64) throws(JournalError) -> any JournalFile {
        let path = path(of: sequence)
        guard access(path, F_OK) == 0 else { throw PosixJournalFile.failure("cannot open the journal segment \(path)") }
        return try PosixJournalFile(path: path, size: 0, synchronousWrites: synchronousWrites)
    }

    public func createSegment(startingAt sequence: UInt64, size: Int) throws(JournalError) -> any JournalFile {
        try PosixJournalFile(path: path(of: sequence), size: size, synchronousWrites: synchronousWrites)
    }

    public func removeSegment(startingAt sequence: UInt64) throws(JournalError) {
        let path = path(of: sequence)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw PosixJournalFile.failure("cannot remove the journal segment \(path)")
        }
        syncDirectory(containing: path)
    }

    /// Not named like a segment, so a listing never takes it for one. Zero-filled and
    /// never written, so once renamed into place it reads as an empty segment.
    private var sparePath: String { directory + "/spare.segment" }

    public func prepareSpare(size: Int) throws(JournalError) -> Bool {
        if access(sparePath, F_OK) != 0 { _ = try PosixJournalFile(path: sparePath, size: size, synchronousWrites: false) }
        return true
    }

    public func adoptSpare(startingAt sequence: UInt64, size: Int) throws(JournalError) -> (any JournalFile)? {
        var status = stat()
        guard stat(sparePath, &status) == 0, Int(status.st_size) >= size else { return nil }
        let path = path(of: sequence)
        guard rename(sparePath, path) == 0 else { return nil }
        syncDirectory(containing: path)
        return try PosixJournalFile(path: path, size: 0, synchronousWrites: synchronousWrites)
    }

    public func removeSpare() throws(JournalError) {
        guard unlink(sparePath) == 0 || errno == ENOENT else {
            throw PosixJournalFile.failure("cannot remove the spare journal segment \(sparePath)")
        }
    }

    public func path(of sequence: UInt64) -> String {
        let digits = String(sequence)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + Self.suffix
    }
}
