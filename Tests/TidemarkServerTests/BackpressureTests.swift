import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A client that pipelines requests without ever reading the answers must not make the
/// server buffer without bound: once the answers fill the socket, the server stops reading
/// that connection, so the client's own sends block, while other clients are served.
@Suite("Backpressure: a client that never reads", .serialized, .timeLimit(.minutes(2)))
struct BackpressureTests {
    static let limitKiB = 150 * 1024
    static let target = 200 << 20

    /// What one flood did.
    struct Flood: Sendable, CustomStringConvertible {
        var sent = 0
        var blocked = false
        var peakKiB = 0
        var pings = 0
        var slowestPing: Duration = .zero

        var description: String {
            "sent \(sent / 1024) KiB before blocking (\(blocked ? "blocked" : "never blocked")), server peak VmRSS \(peakKiB / 1024) MiB, \(pings) pings from another client, slowest \(slowestPing)"
        }
    }

    @Test(arguments: ["stamp", "log"])
    func theServerStopsReadingAndStaysBounded(method: String) async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        // `log` answers are ~200 times the size of the request: the worst case for buffering.
        let line: String =
            method == "log"
            ? Fault.line(1, "log", ["limit": 100])
            : Fault.line(1, "stamp", ["deps": .array((0..<20).map { ["table": "t", "key": .string("k\($0)")] })])
        let flood = try await LineClient.with(directory.socketPath) { client in
            let meta = JSONValue.string(String(repeating: "m", count: 150))
            var text = ""
            for index in 0..<200 {
                text += Fault.line(Int64(index), "write", ["changes": [["table": "t", "keys": [.string("k\(index)")]]], "meta": ["m": meta]])
            }
            try await client.send(text)
            for _ in 0..<200 { _ = try await client.nextJSON() }
            let baseline = try #require(Fault.residentKiB(pid: server.pid))

            let descriptor = try Self.connect(directory.socketPath)
            defer { close(descriptor) }
            let result = LockedBox(Flood())
            let finished = LockedBox(false)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { finished.withLock { $0 = true } }
                    let (sent, blocked) = await Self.push(line, to: descriptor)
                    result.withLock {
                        $0.sent = sent
                        $0.blocked = blocked
                    }
                }
                group.addTask {
                    while !finished.withLock({ $0 }) {
                        let rss = Fault.residentKiB(pid: server.pid) ?? 0
                        result.withLock { $0.peakKiB = max($0.peakKiB, rss) }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                group.addTask {
                    try await LineClient.with(directory.socketPath) { other in
                        while !finished.withLock({ $0 }) {
                            let started = ContinuousClock.now
                            #expect(try await other.result("ping") == [:])
                            let stamp = try await other.result("stamp", ["deps": [["table": "t", "key": "k199"]]])
                            #expect(stamp["versions"] == [200])
                            let elapsed = ContinuousClock.now - started
                            result.withLock {
                                $0.pings += 1
                                $0.slowestPing = max($0.slowestPing, elapsed)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let flood = result.withLock { $0 }
            print("backpressure (\(method)): baseline VmRSS \(baseline / 1024) MiB; \(flood)")
            return flood
        }
        #expect(flood.blocked, "the server kept reading: \(flood)")
        #expect(flood.sent < 64 << 20, "\(flood)")
        #expect(flood.peakKiB < Self.limitKiB, "\(flood)")
        // How slow the other client's pings get depends on the machine's load, not on the
        // server; that they keep being answered is the property.
        #expect(flood.pings > 0, "other clients are served: \(flood)")

        // The flooding connection is gone (closed unread); the server forgets it.
        try await LineClient.with(directory.socketPath) { client in
            // The server drops the flood's queued answers first; on a loaded machine that
            // takes a while, so poll against a generous deadline.
            var connections: JSONValue?
            let closed = ContinuousClock.now
            let deadline = closed + .seconds(15)
            while ContinuousClock.now < deadline {
                connections = try await client.result("stats")["connections"]
                if connections == 1 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            print("backpressure (\(method)): the closed flooding connection was released after \(ContinuousClock.now - closed)")
            #expect(connections == 1, "the closed flooding connection is released")
        }
        #expect(await server.terminate() == 0)
    }

    static func connect(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1)) + [0]
            raw.copyBytes(from: bytes)
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        return descriptor
    }

    /// Sends `line` over and over until `target` bytes went out or no byte could be sent
    /// for two seconds (the server stopped reading). Never reads.
    static func push(_ line: String, to descriptor: Int32) async -> (sent: Int, blocked: Bool) {
        var chunk: [UInt8] = []
        while chunk.count < 64 << 10 { chunk += Array(line.utf8) }
        var sent = 0
        var offset = 0
        var lastProgress = ContinuousClock.now
        while sent < target {
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            if poll(&poller, 1, 20) > 0 {
                let count = chunk.withUnsafeBytes { send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if count > 0 {
                    sent += count
                    offset = (offset + count) % chunk.count
                    lastProgress = .now
                } else if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
                    return (sent, false)
                }
            }
            if ContinuousClock.now - lastProgress > .seconds(2) { return (sent, true) }
            await Task.yield()
        }
        return (sent, false)
    }
}
