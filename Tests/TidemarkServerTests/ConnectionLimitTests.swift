import Foundation
import NIOCore
import Testing
import TidemarkProtocol
import TidemarkServer
import TidemarkTestSupport

/// Many simultaneous connections against the real binary: each is either served or
/// refused with a clear -32001 line, and every descriptor is released afterwards.
@Suite struct ConnectionLimitTests {
    static let connections = 2_000
    static let limit = 1_500

    @Test func beyondTheLimitConnectionsAreRefusedAndNothingLeaks() async throws {
        ProcessLimits.raiseOpenFileLimit()
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath,
            arguments: ["--max-connections", "\(Self.limit)"])
        let baseline = try await Self.settledDescriptorCount(of: server.pid, atMost: Int.max)

        var sockets: [BlockingLineSocket] = []
        for _ in 0..<Self.connections { sockets.append(try BlockingLineSocket(path: directory.socketPath)) }
        var served = 0
        var refused = 0
        for (index, socket) in sockets.enumerated() {
            // A refused connection may already be closed by the server: its one line is
            // still there to read even when sending fails.
            let sent = (try? socket.send(#"{"jsonrpc":"2.0","id":\#(index),"method":"ping"}"# + "\n")) != nil
            let response = try JSONParser.parse(ByteBuffer(string: try socket.readLine()))
            if response.objectValue?["result"] != nil {
                #expect(sent)
                served += 1
            } else {
                #expect(response.objectValue?["error"]?.objectValue?["code"] == -32001)
                let message = response.objectValue?["error"]?.objectValue?["message"]?.stringValue ?? ""
                #expect(message.contains("too many connections"), "\(message)")
                refused += 1
            }
        }
        #expect(served == Self.limit)
        #expect(refused == Self.connections - Self.limit)

        let stats = try BlockingLineSocket(path: directory.socketPath)
        _ = try? stats.send(#"{"jsonrpc":"2.0","id":1,"method":"stats"}"# + "\n")
        let refusedCount = try JSONParser.parse(ByteBuffer(string: try stats.readLine()))
        // The stats connection itself is over the limit too while the others are open.
        #expect(refusedCount.objectValue?["error"]?.objectValue?["code"] == -32001)
        sockets.removeAll()
        stats.close()

        let after = try await Self.settledDescriptorCount(of: server.pid, atMost: baseline)
        #expect(after <= baseline)
        #expect(await server.terminate() == 0)
    }

    /// Polls until the server holds at most `bound` descriptors (connection teardown is
    /// asynchronous, and slow on a loaded machine), giving up after a minute.
    private static func settledDescriptorCount(of pid: Int32, atMost bound: Int) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        var count = Int.max
        while ContinuousClock.now < deadline {
            count = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
            if count <= bound { return count }
            try await Task.sleep(for: .milliseconds(20))
        }
        return count
    }
}
