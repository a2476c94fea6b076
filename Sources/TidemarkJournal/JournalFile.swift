#if canImport(Glibc)
import Glibc
#endif

/// The file operations the journal makes, and nothing else: the seam a crash test replaces
/// with a recorder, to build the disk images a power loss could leave.
public protocol JournalFile: AnyObject {
    /// The file's size in bytes (a segment's is fixed when it is created).
    var size: Int { get }
    func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8]
    func write(_ bytes: [UInt8], at offset: Int) throws(JournalError)
    /// Makes every write so far durable (`fdatasync`).
    func sync() throws(JournalError)
}

/// A journal segment on disk: created at its full size and zero-filled (written, not
/// only allocated), so that a later `fdatasync` flushes the data written and no file-size
/// or extent metadata.
///
/// Opened `O_DSYNC` by default, measured faster than a `pwrite` and an `fdatasync` (one
/// system call, and the same one flush): each write is durable when it returns, and
/// `sync()` has nothing left to do.
public final class PosixJournalFile: JournalFile {
    public let size: Int
    private let descriptor: Int32
    private let synchronousWrites: Bool

    /// Opens the segment at `path`, creating it zero-filled at `size` bytes if missing.
    public init(path: String, size: Int, synchronousWrites: Bool = true) throws(JournalError) {
        let flags = O_RDWR | O_CLOEXEC | (synchronousWrites ? O_DSYNC : 0)
        var descriptor = open(path, flags)
        if descriptor < 0 && errno == ENOENT {
            close(try Self.create(path: path, size: size))
            descriptor = open(path, flags)
        }
        guard descriptor >= 0 else { throw Self.failure("cannot open the journal segment \(path)") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw Self.failure("cannot read the size of \(path)")
        }
        self.descriptor = descriptor
        self.synchronousWrites = synchronousWrites
        self.size = Int(status.st_size)
    }

    deinit {
        close(descriptor)
    }

    public func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, min(count, size - offset)))
        var done = 0
        while done < bytes.count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw Self.failure("cannot read the journal at \(offset + done)") }
            done += got
        }
        return bytes
    }

    public func write(_ bytes: [UInt8], at offset: Int) throws(JournalError) {
        guard offset + bytes.count <= size else {
            throw JournalError(.full, "the journal segment has \(size - offset) bytes left, not \(bytes.count)")
        }
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else {
                throw errno == ENOSPC ? Self.noSpace() : Self.failure("cannot write the journal at \(offset + done)")
            }
            done += wrote
        }
    }

    public func sync() throws(JournalError) {
        if synchronousWrites { return }
        while fdatasync(descriptor) != 0 {
            guard errno == EINTR else { throw Self.failure("cannot flush the journal") }
        }
    }

    /// A new zero-filled segment: written under a temporary name, flushed, renamed into
    /// place and its directory flushed, so a crash never leaves a short segment.
    private static func create(path: String, size: Int) throws(JournalError) -> Int32 {
        let temporary = path + ".new"
        let descriptor = open(temporary, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while offset < size {
            let count = min(chunk.count, size - offset)
            let wrote = chunk.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, count, off_t(offset)) }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else {
                let error = errno == ENOSPC ? noSpace() : failure("cannot zero-fill \(temporary)")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            offset += wrote
        }
        guard fsync(descriptor) == 0, rename(temporary, path) == 0 else {
            close(descriptor)
            unlink(temporary)
            throw failure("cannot put the new journal segment \(path) in place")
        }
        syncDirectory(containing: path)
        return descriptor
    }

    private static func noSpace() -> JournalError {
        JournalError(.full, "no space on the disk for the journal", cause: String(cString: strerror(errno)))
    }

    static func failure(_ message: String) -> JournalError {
        JournalError(.io, message, cause: String(cString: strerror(errno)))
    }
}

/// Flushes the directory holding `path`, so that a file created, renamed or removed there
/// stays so after a power loss.
func syncDirectory(containing path: String) {
    let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    syncDirectory(parent.isEmpty ? "/" : parent)
}

/// Flushes `directory` itself: what a rename or removal in it needs to survive a power
/// loss. The store's checkpoint and state files use it too.
public func syncDirectory(_ directory: String) {
    let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    close(descriptor)
}
