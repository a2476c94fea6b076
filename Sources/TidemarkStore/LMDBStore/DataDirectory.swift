#if canImport(Glibc)
import Glibc
#endif

/// The directory that holds one store: created private (0700), refused when others may
/// write to it, and held with an exclusive lock for as long as a writer has the store open,
/// so a second server on the same directory fails at once with a clear message.
///
/// A reader (`exclusive: false`, e.g. `tidemark verify`) takes no lock at all: LMDB's own
/// lock file coordinates its readers with a running writer, so a read-only open works
/// beside a running server and never keeps one from starting.
final class DataDirectory: Sendable {
    let path: String
    /// The locked descriptor of a writer; -1 for a reader, which holds nothing.
    private let lockDescriptor: Int32

    static let lockFileName = "tidemark.lock"

    init(path: String, create: Bool, exclusive: Bool) throws(StoreError) {
        self.path = path
        if create { try Self.makeDirectory(path) }
        try Self.checkPermissions(path)
        guard exclusive else {
            lockDescriptor = -1
            return
        }
        let lockPath = path + "/" + Self.lockFileName
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(.io, "cannot open \(lockPath): \(Self.errnoText())")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPID(descriptor)
            close(descriptor)
            throw StoreError(
                .locked,
                "the data directory \(path) is in use by another tidemark server"
                    + (holder.map { " (pid \($0))" } ?? ""))
        }
        Self.writePID(descriptor)
        lockDescriptor = descriptor
    }

    deinit {
        // Closing the descriptor releases the flock.
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    private static func makeDirectory(_ path: String) throws(StoreError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw StoreError(.io, "cannot create \(prefix): \(errnoText())")
            }
        }
    }

    private static func checkPermissions(_ path: String) throws(StoreError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StoreError(.io, "cannot open the data directory \(path): \(errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw StoreError(.io, "\(path) is not a directory")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw StoreError(
                .unsafeDirectory,
                "the data directory \(path) is writable by group or others; run chmod 700 on it")
        }
    }

    private static func writePID(_ descriptor: Int32) {
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    private static func readPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace)
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(self.filter { !$0.isWhitespace })
    }
}
