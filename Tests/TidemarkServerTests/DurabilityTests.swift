import Foundation
import Synchronization
import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("Durability: restarts and kill -9 under load", .serialized)
struct DurabilityTests {
    /// Every record of the log, paging with `next`.
    static func fullLog(_ client: LineClient) async throws -> [JSONObject] {
        var records: [JSONObject] = []
        var from: Int64 = 1
        while true {
            let page = try await client.result("log", ["from": .integer(from), "limit": 1000])
            let batch = page.objectValue?["records"]?.arrayValue?.compactMap(\.objectValue) ?? []
            records += batch
            let next = try #require(page.objectValue?["next"]?.int64Value)
            if batch.isEmpty || next == from { return records }
            from = next
        }
    }

    @Test func acknowledgedWritesSurviveKillNineUnderLoad() async throws {
        let directory = try TemporaryDirectory()
        var server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let epoch = try await LineClient.with(directory.socketPath) { try await $0.result("hello").objectValue?["epoch"] }
        let acknowledged = LockedBox<[(key: String, lsn: Int64)]>([])
        let (progress, progressSink) = AsyncStream.makeStream(of: Void.self)
        let killAfter = 400
        let victim = server
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<20 {
                group.addTask {
                    try? await LineClient.with(directory.socketPath) { client in
                        for index in 0..<100_000 {
                            let key = "w\(writer)-\(index)"
                            let response = try await client.request(
                                "write", ["changes": [["table": "crash", "keys": [.string(key)]]]])
                            guard let lsn = response.objectValue?["result"]?.objectValue?["lsn"]?.int64Value else { return }
                            acknowledged.withLock { $0.append((key, lsn)) }
                            progressSink.yield()
                        }
                    }
                }
            }
            group.addTask {
                var count = 0
                for await _ in progress {
                    count += 1
                    if count == killAfter {
                        await victim.kill()
                        return
                    }
                }
            }
            try await group.waitForAll()
        }
        progressSink.finish()

        server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count >= killAfter)
        try await LineClient.with(directory.socketPath) { client in
            let hello = try await client.result("hello")
            #expect(hello.objectValue?["epoch"] == epoch, "the epoch survives a crash")
            let records = try await Self.fullLog(client)
            let lsns = records.compactMap { $0["lsn"]?.int64Value }
            #expect(lsns == Array(1...Int64(lsns.count)), "LSNs are dense")
            #expect(hello.objectValue?["lsn"]?.int64Value == lsns.last)
            var lsnsByKey: [String: [Int64]] = [:]
            for record in records {
                let lsn: Int64 = record["lsn"]?.int64Value ?? 0
                let changes: [JSONValue] = record["changes"]?.arrayValue ?? []
                for change in changes {
                    let keys: [String] = change.objectValue?["keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    for key in keys {
                        var existing = lsnsByKey[key] ?? []
                        existing.append(lsn)
                        lsnsByKey[key] = existing
                    }
                }
            }
            for (key, lsn) in acked {
                let logged: [Int64] = lsnsByKey[key] ?? []
                #expect(logged == [lsn], "acknowledged write \(key) at \(lsn) must be in the log exactly once")
            }
            #expect(lsnsByKey.values.allSatisfy { $0.count == 1 }, "no write is in the log twice")
            // Versions never went backwards: each acknowledged key still has its version.
            for chunk in stride(from: 0, to: acked.count, by: 500) {
                let slice = acked[chunk..<min(chunk + 500, acked.count)]
                let stamp = try await client.result(
                    "stamp", ["deps": .array(slice.map { ["table": "crash", "key": .string($0.key)] })])
                let versions = stamp.objectValue?["versions"]?.arrayValue?.compactMap(\.int64Value) ?? []
                #expect(versions == slice.map(\.lsn))
            }
        }
        #expect(await server.terminate() == 0)
    }

    @Test func aCleanRestartKeepsEpochLSNVersionsIntentsAndNames() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let before = try await LineClient.with(directory.socketPath) { client in
            _ = try await client.result("write", ["changes": [["table": "users", "keys": ["1"]], ["table": "orders"]]])
            let intent = try await client.result("begin", ["changes": [["table": "users", "keys": ["2"]]], "ttl_ms": 600_000])
            let hello = try await client.result("hello")
            _ = try await client.result("register", [
                "name": "n", "epoch": hello.objectValue?["epoch"] ?? .null, "lsn": 2, "deps": [["table": "orders"]],
            ])
            return (hello, intent.objectValue?["intent"] ?? .null)
        }
        #expect(await server.terminate() == 0, "SIGTERM is a clean exit")
        #expect(!FileManager.default.fileExists(atPath: directory.socketPath), "a clean stop removes its socket")

        let restarted = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        try await LineClient.with(directory.socketPath) { client in
            let hello = try await client.result("hello")
            #expect(hello.objectValue?["epoch"] == before.0.objectValue?["epoch"])
            #expect(hello.objectValue?["lsn"] == 2, "a restart writes no record")
            let stamp = try await client.result(
                "stamp", ["deps": [["table": "users", "key": "1"], ["table": "orders", "key": "x"], ["table": "users", "key": "2"]]])
            #expect(stamp.objectValue?["versions"] == [1, 1, 0])
            #expect(stamp.objectValue?["cacheable"] == false, "the open intent survived the restart")
            let named = try await client.result("check", ["name": "n"])
            #expect(named == ["valid": true])
            let committed = try await client.result("commit", ["intent": before.1])
            #expect(committed.objectValue?["lsn"] == 3)
        }
        #expect(await restarted.terminate() == 0)
    }

    @Test func aSecondServerOnTheSameDataDirectoryIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let second = try await ServerProcess.runExpectingFailure(
            socketPath: directory.path + "/other.sock", dataPath: directory.dataPath)
        #expect(second.status != 0)
        #expect(second.output.contains("in use by another tidemark server"), "\(second.output)")
        #expect(await server.terminate() == 0)
    }

    @Test func aLiveSocketIsRefusedAndAStaleOneReplaced() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        let second = try await ServerProcess.runExpectingFailure(
            socketPath: directory.socketPath, dataPath: directory.path + "/other-data")
        #expect(second.status != 0)
        #expect(second.output.contains("already listening"), "\(second.output)")
        await server.kill()
        #expect(FileManager.default.fileExists(atPath: directory.socketPath), "kill -9 leaves a stale socket")
        let restarted = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let pong = try await LineClient.with(directory.socketPath) { try await $0.result("ping") }
        #expect(pong == .object([:]))
        #expect(await restarted.terminate() == 0)
    }

    @Test func gracefulShutdownAnswersEveryQueuedWrite() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let answered = try await LineClient.with(directory.socketPath) { client in
            var lines = ""
            for index in 0..<200 {
                lines += RPCRequest(id: .number(Int64(index)), method: "write", params: ["changes": [["table": "t", "keys": [.string("\(index)")]]]]).json.jsonString + "\n"
            }
            try await client.send(lines)
            _ = try await client.nextJSON()
            let status = await server.terminate()
            #expect(status == 0)
            var lsns: [Int64] = []
            while let line = await client.nextLine() {
                let response = try JSONParser.parse(line)
                if let lsn = response.objectValue?["result"]?.objectValue?["lsn"]?.int64Value { lsns.append(lsn) }
                if response.objectValue?["error"]?.objectValue?["code"] == -32006 { continue }
            }
            return lsns
        }
        let restarted = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        try await LineClient.with(directory.socketPath) { client in
            let log = try await Self.fullLog(client)
            let logged = Set(log.compactMap { $0["lsn"]?.int64Value })
            #expect(answered.allSatisfy(logged.contains), "every write answered before shutdown is durable")
        }
        #expect(await restarted.terminate() == 0)
    }
}
