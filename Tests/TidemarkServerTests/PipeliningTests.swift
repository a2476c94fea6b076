import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("Pipelining, batches and order on a connection")
struct PipeliningTests {
    @Test func aCheckPipelinedAfterAWriteSeesIt() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let epoch = try await client.result("hello").objectValue?["epoch"] ?? .null
                var lines = ""
                for id in 1...50 {
                    lines += RPCRequest(id: .number(Int64(id) * 2), method: "write", params: ["changes": [["table": "t", "keys": ["k"]]]]).json.jsonString + "\n"
                    lines += RPCRequest(id: .number(Int64(id) * 2 + 1), method: "check", params: [
                        "epoch": epoch, "lsn": .integer(Int64(id - 1)), "deps": [["table": "t", "key": "k"]],
                    ]).json.jsonString + "\n"
                }
                try await client.send(lines)
                for id in 1...50 {
                    let write = try await client.nextJSON()
                    #expect(write.objectValue?["id"] == .integer(Int64(id) * 2))
                    #expect(write.objectValue?["result"]?.objectValue?["lsn"] == .integer(Int64(id)))
                    let check = try await client.nextJSON()
                    #expect(check.objectValue?["id"] == .integer(Int64(id) * 2 + 1))
                    // The stamp is one behind the write that preceded the check: it must be stale.
                    #expect(check.objectValue?["result"]?.objectValue?["reason"] == "changed")
                }
            }
        }
    }

    @Test func batchesAnswerEachMemberAndSkipNotifications() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send(
                    #"[{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t"}]}},"#
                        + #"{"jsonrpc":"2.0","id":2,"method":"nope"},"#
                        + #"{"jsonrpc":"2.0","method":"write","params":{"changes":[{"table":"t"}]}},"#
                        + #"{"jsonrpc":"2.0","id":3,"method":"write","params":{"changes":[{"table":""}]}},"#
                        + #"42,"#
                        + #"{"jsonrpc":"2.0","id":4,"method":"stamp","params":{"deps":[{"table":"t"}]}}]"# + "\n")
                let responses = try #require(try await client.nextJSON().arrayValue)
                #expect(responses.count == 5)
                #expect(responses[0].objectValue?["result"]?.objectValue?["lsn"] == 1)
                #expect(responses[1].objectValue?["error"]?.objectValue?["code"] == -32601)
                #expect(responses[2].objectValue?["id"] == 3)
                #expect(responses[2].objectValue?["error"]?.objectValue?["code"] == -32602)
                #expect(responses[2].objectValue?["error"]?.objectValue?["data"] == ["field": "changes[0].table"])
                #expect(responses[3].objectValue?["id"] == .null)
                #expect(responses[3].objectValue?["error"]?.objectValue?["code"] == -32600)
                // The notification in the middle was a write too, and the stamp sees both.
                #expect(responses[4].objectValue?["result"]?.objectValue?["versions"] == [2])
            }
        }
    }

    /// A time limit, since the failure it guards against is an event that never comes.
    @Test(.timeLimit(.minutes(1))) func aWatchInABatchStreamsAfterTheBatchAnswer() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { watcher in
                try await watcher.send(
                    #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"watch","params":{"tables":["t"]}}]"#
                        + "\n")
                let answers = try #require(try await watcher.nextJSON().arrayValue)
                #expect(answers.count == 2)
                let watch = try #require(answers[1].objectValue?["result"]?.objectValue?["watch"])
                try await LineClient.with(server.socketPath) { writer in
                    _ = try await writer.result("write", ["changes": [["table": "t", "keys": ["k"]]]])
                }
                let event = try await watcher.nextJSON()
                #expect(event.objectValue?["method"] == "watch.event")
                #expect(event.objectValue?["params"]?.objectValue?["watch"] == watch)
            }
        }
    }

    @Test func aBatchOfOnlyNotificationsGetsNoAnswer() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send(#"[{"jsonrpc":"2.0","method":"ping"},{"jsonrpc":"2.0","method":"write","params":{"changes":[{"table":"t"}]}}]"# + "\n")
                try await client.send(#"{"jsonrpc":"2.0","method":"ping"}"# + "\n")
                let next = try await client.request("stamp", ["deps": [["table": "t"]]], id: 9)
                #expect(next.objectValue?["id"] == 9)
                #expect(next.objectValue?["result"]?.objectValue?["versions"] == [1])
            }
        }
    }

    @Test func concurrentConnectionsShareCommits() async throws {
        try await TestServer.withServer { server in
            let writers = 20
            let writesEach = 25
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        try await LineClient.with(server.socketPath) { client in
                            for index in 0..<writesEach {
                                let response = try await client.request(
                                    "write", ["changes": [["table": "t", "keys": [.string("\(writer)-\(index)")]]]])
                                #expect(response.objectValue?["result"]?.objectValue?["lsn"] != nil)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await LineClient.with(server.socketPath) { client in
                let stats = try #require(try await client.result("stats").objectValue)
                #expect(stats["lsn"] == .integer(Int64(writers * writesEach)))
                #expect(stats["mutations"] == .integer(Int64(writers * writesEach)))
                let commits = try #require(stats["commits"]?.int64Value)
                #expect(commits < Int64(writers * writesEach), "concurrent writes must share commits")
            }
        }
    }
}
