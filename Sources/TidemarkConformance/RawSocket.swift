import Glibc

/// A blocking Unix socket, for a client that deliberately stops reading.
struct RawSocket: ~Copyable {
    let fd: Int32

    init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ConformanceError.connect(path, "socket() failed") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            _ = Glibc.close(fd)
            throw ConformanceError.connect(path, "socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            _ = Glibc.close(fd)
            throw ConformanceError.connect(path, "connect() failed, errno \(errno)")
        }
        self.fd = fd
    }

    func write(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw ConformanceError.cases("write to the socket failed") }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Reads what is available, waiting at most `timeoutMs`; empty on timeout or end.
    func read(timeoutMs: Int32) -> [UInt8] {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMs) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return count > 0 ? Array(buffer[..<count]) : []
    }

    /// The server's process id, from the kernel's record of the connection (SO_PEERCRED).
    func peerProcessID() -> Int32? {
        var credentials = (pid: Int32(0), uid: UInt32(0), gid: UInt32(0))
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.pid > 0 else { return nil }
        return credentials.pid
    }

    func close() {
        _ = Glibc.close(fd)
    }
}

struct LineReader {
    private var pending: [UInt8] = []

    /// The next complete line, or nil on timeout or end of stream.
    mutating func next(from socket: borrowing RawSocket, timeoutMs: Int32) throws -> [UInt8]? {
        while true {
            if let index = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<index])
                pending.removeFirst(index + 1)
                return line
            }
            let chunk = socket.read(timeoutMs: timeoutMs)
            if chunk.isEmpty { return nil }
            pending += chunk
        }
    }
}
