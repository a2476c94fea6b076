#if canImport(Glibc)
import Glibc
#endif

/// The socket's path on disk: a stale file left by a crashed server is replaced, a live
/// one (another server answering) is refused, anything else at the path is left alone.
enum SocketFile {
    static func prepare(_ path: String) throws(ServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ServerError(.socketPath, "\(path) exists and is not a socket; refusing to replace it")
        }
        if isAnswering(path) {
            throw ServerError(.socketInUse, "another server is already listening on \(path)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ServerError(.socketPath, "cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func setMode(_ path: String, _ mode: mode_t) throws(ServerError) {
        guard chmod(path, mode) == 0 else {
            throw ServerError(.socketPath, "cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The inode of the socket we bound, so shutdown removes our file and not one a
    /// later server put at the same path.
    static func identity(_ path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    static func remove(_ path: String, ifIdentity identity: (device: UInt64, inode: UInt64)?) {
        guard let identity, let current = self.identity(path), current == identity else { return }
        unlink(path)
    }

    private static func isAnswering(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
