import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("watch: replay, live records and slow watchers")
struct WatchTests {
    private static func write(_ client: LineClient, table: String, key: String) async throws -> Int64 {
        let result = try await client.result("write", ["changes": [["table": .string(table), "keys": [.string(key)]]]])
        return try #require(result.objectValue?["lsn"]?.int64Value)
    }

    /// Reads lines until a `watch.event`, skipping responses; returns its params.
    private static func nextEvent(_ client: LineClient) async throws -> JSONObject {
        while true {
            let line = try await client.nextJSON()
            if line.objectValue?["method"] == "watch.event" {
                return try #require(line.objectValue?["params"]?.objectValue)
            }
        }
    }

    @Test func liveRecordsArriveWithTheNamesTheyInvalidated() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { watcher in
                let started = try await watcher.result("watch", ["tables": ["users"]])
                let watchID = try #require(started.objectValue?["watch"])
                #expect(started.objectValue?["lsn"] == 0)
                try await LineClient.with(server.socketPath) { writer in
                    let hello = try await writer.result("hello")
                    _ = try await writer.result("register", [
                        "name": "page:1", "epoch": hello.objectValue?["epoch"] ?? .null, "lsn": 0,
                        "deps": [["table": "users", "key": "42"]],
                    ])
                    _ = try await Self.write(writer, table: "orders", key: "1")
                    _ = try await Self.write(writer, table: "users", key: "42")
                }
                let event = try await Self.nextEvent(watcher)
                #expect(event["watch"] == watchID)
                #expect(event["record"]?.objectValue?["lsn"] == 2, "the orders write is filtered out")
                #expect(event["record"]?.objectValue?["changes"] == [["table": "users", "keys": ["42"]]])
                #expect(event["invalidated"] == ["page:1"])
            }
        }
    }

    @Test func replayThenLiveHasNoGapAndNoDuplicateUnderConcurrentWriters() async throws {
        try await TestServer.withServer(configure: { $0.store.durable = false }) { server in
            let writers = 20
            let writesEach = 20
            let total = writers * writesEach
            try await LineClient.with(server.socketPath) { watcher in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writerIndex in 0..<writers {
                        group.addTask {
                            try await LineClient.with(server.socketPath) { writer in
                                for index in 0..<writesEach {
                                    _ = try await Self.write(writer, table: "t", key: "\(writerIndex)-\(index)")
                                }
                            }
                        }
                    }
                    // Start watching from the beginning while the writers are busy.
                    try await watcher.send(#"{"jsonrpc":"2.0","id":1,"method":"watch","params":{"from":1}}"# + "\n")
                    var seen: [Int64] = []
                    while seen.count < total {
                        let line = try await watcher.nextJSON()
                        if let lsn = line.objectValue?["params"]?.objectValue?["record"]?.objectValue?["lsn"]?.int64Value {
                            seen.append(lsn)
                        }
                    }
                    #expect(seen == Array(1...Int64(total)))
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test func unwatchStopsEventsAndUnknownIDsAreRefused() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let started = try await client.result("watch")
                let id = try #require(started.objectValue?["watch"])
                #expect(try await client.result("unwatch", ["watch": id]) == .object([:]))
                let again = try await client.request("unwatch", ["watch": id])
                #expect(again.objectValue?["error"]?.objectValue?["code"] == -32602)
                _ = try await Self.write(client, table: "t", key: "k")
                // Only the write's answer arrives: no event for the ended watch.
                let stats = try await client.result("stats")
                #expect(stats.objectValue?["watchers"] == 0)
            }
        }
    }

    @Test func watchingBelowTheOldestRecordIsRefused() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                for index in 0..<5 { _ = try await Self.write(client, table: "t", key: "\(index)") }
                let compacted = try await client.result("compact", ["before": 4])
                #expect(compacted == ["oldest": 4])
                let refused = try await client.request("watch", ["from": 2])
                #expect(refused.objectValue?["error"]?.objectValue?["code"] == -32004)
                #expect(refused.objectValue?["error"]?.objectValue?["data"] == ["oldest": 4])
                let log = try await client.request("log", ["from": 1])
                #expect(log.objectValue?["error"]?.objectValue?["code"] == -32004)
            }
        }
    }

    @Test func aWatcherThatDoesNotReadIsDroppedWithWatchLost() async throws {
        try await TestServer.withServer(configure: {
            $0.store.durable = false
            $0.server.watchBacklog = 16
        }) { server in
            try await LineClient.with(server.socketPath, paused: true) { slow in
                // From 1, so records written before the watch registers are replayed.
                try await slow.send(#"{"jsonrpc":"2.0","id":1,"method":"watch","params":{"from":1}}"# + "\n")
                try await LineClient.with(server.socketPath) { writer in
                    // Enough records to fill the socket buffers and then the backlog.
                    var watchers: Int64 = 1
                    var round = 0
                    while watchers > 0 {
                        var lines = ""
                        for index in 0..<500 {
                            lines += RPCRequest(id: .number(Int64(index)), method: "write", params: [
                                "changes": [["table": "t", "keys": [.string(String(repeating: "k", count: 200) + "\(round)-\(index)")]]],
                            ]).json.jsonString + "\n"
                        }
                        try await writer.send(lines)
                        for _ in 0..<500 { _ = try await writer.nextJSON() }
                        watchers = try await writer.result("stats").objectValue?["watchers"]?.int64Value ?? -1
                        round += 1
                        #expect(round < 100, "the slow watcher was never dropped")
                        if round >= 100 { return }
                    }
                }
                slow.resumeReading()
                var lastLSN: Int64 = 0
                while true {
                    let line = try await slow.nextJSON()
                    let object = try #require(line.objectValue)
                    if object["method"] == "watch.lost" {
                        #expect(object["params"]?.objectValue?["lsn"]?.int64Value == lastLSN)
                        break
                    }
                    if let lsn = object["params"]?.objectValue?["record"]?.objectValue?["lsn"]?.int64Value {
                        #expect(lsn == lastLSN + 1)
                        lastLSN = lsn
                    }
                }
                #expect(lastLSN > 0)
            }
        }
    }
}
