import Foundation
import NIOCore
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// Many simultaneous connections against the real binary: each is either served or
/// refused with a clear -32001 line, and every descriptor is released afterwards.
///
/// The 2,000 client sockets live in a child process: thousands of descriptors in the
/// test process itself would be inherited by, and break, every process other tests
/// spawn meanwhile (Foundation's `Process` crashes on them).
@Suite struct ConnectionLimitTests {
    static let connections = 2_000
    static let limit = 1_500

    /// Opens N connections, pings on each, prints one JSON summary line, then waits for
    /// a line on stdin before closing them all.
    static let clients = #"""
        import json, resource, socket, sys
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        path, count = sys.argv[1], int(sys.argv[2])
        sockets = []
        for _ in range(count):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)  # blocking: waits while the listen backlog is full
            s.settimeout(30)
            sockets.append(s)
        served, refused, other, messages = 0, 0, [], set()
        for i, s in enumerate(sockets):
            sent = True
            try:
                s.sendall(json.dumps({"jsonrpc": "2.0", "id": i, "method": "ping"}).encode() + b"\n")
            except OSError:
                sent = False  # a refused connection may already be closed; its line is still readable
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            answer = json.loads(data) if data else None
            if answer and "result" in answer and sent:
                served += 1
            elif answer and answer.get("error", {}).get("code") == -32001:
                refused += 1
                messages.add(answer["error"]["message"])
            else:
                other.append(repr(answer))
        print(json.dumps({"served": served, "refused": refused, "other": other[:5], "messages": sorted(messages)}), flush=True)
        sys.stdin.readline()
        for s in sockets:
            s.close()
        """#

    @Test func beyondTheLimitConnectionsAreRefusedAndNothingLeaks() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath,
            arguments: ["--max-connections", "\(Self.limit)"])
        let baseline = try await Self.settledDescriptorCount(of: server.pid, atMost: Int.max)

        let process = try ChildProcess(
            executable: "/usr/bin/env", arguments: ["python3", "-c", Self.clients, directory.socketPath, "\(Self.connections)"],
            input: true)
        #expect(await process.waitForOutput("\n"))
        let line = try #require(process.outputText.split(separator: "\n").first.map(String.init))
        let summary = try JSONParser.parse(line)
        #expect(summary["served"]?.int64Value == Int64(Self.limit), "\(line)")
        #expect(summary["refused"]?.int64Value == Int64(Self.connections - Self.limit), "\(line)")
        #expect(summary["other"]?.arrayValue?.isEmpty == true, "\(line)")
        #expect(summary["messages"]?.arrayValue?.allSatisfy { $0.stringValue?.contains("too many connections") == true } == true)

        // While they are open, one more is refused too, and counted.
        try await LineClient.with(directory.socketPath) { client in
            let refusal = try await client.nextJSON()
            #expect(refusal["error"]?["code"] == -32001)
        }
        try process.send("close\n")
        #expect(await process.waitForExit() == 0)

        let after = try await Self.settledDescriptorCount(of: server.pid, atMost: baseline)
        #expect(after <= baseline)
        let refused = try await LineClient.with(directory.socketPath) { try await $0.result("stats")["connections_refused"] }
        #expect(refused == .integer(Int64(Self.connections - Self.limit + 1)))
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
