import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("End to end over a real socket")
struct EndToEndTests {
    @Test func helloDescribesTheServerAndItsLimits() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let response = try await client.request("hello")
                #expect(response.objectValue?["jsonrpc"] == "2.0")
                #expect(response.objectValue?["id"] == 1)
                let result = try #require(response.objectValue?["result"]?.objectValue)
                #expect(result["server"] == "tidemark")
                #expect(result["protocol"] == 1)
                #expect(result["lsn"] == 0)
                #expect(result["epoch"]?.stringValue?.count == 32)
                #expect(result["limits"]?.objectValue?["max_line_bytes"] == 1_048_576)
                let text = response.jsonString
                #expect(!text.contains(server.directory.path), "hello must not reveal paths")
            }
        }
    }

    @Test func pingAnswersAnEmptyObject() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let pong = try await client.result("ping")
                #expect(pong == .object([:]))
            }
        }
    }

    @Test func writeAdvancesVersionsThatStampAndCheckSee() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let before = try await client.result("stamp", ["deps": [["table": "users", "key": "42"], ["table": "users"]]])
                #expect(before.objectValue?["versions"] == [0, 0])
                #expect(before.objectValue?["cacheable"] == true)
                let epoch = try #require(before.objectValue?["epoch"])

                let written = try await client.result("write", ["changes": [["table": "users", "keys": ["42"]]]])
                #expect(written.objectValue?["lsn"] == 1)
                #expect(written.objectValue?["epoch"] == epoch)

                let stale = try await client.result(
                    "check", ["epoch": epoch, "lsn": 0, "deps": [["table": "users", "key": "42"]]])
                #expect(stale.objectValue?["valid"] == false)
                #expect(stale.objectValue?["reason"] == "changed")
                #expect(stale.objectValue?["changed"] == [["table": "users", "key": "42", "version": 1]])

                let otherKey = try await client.result(
                    "check", ["epoch": epoch, "lsn": 0, "deps": [["table": "users", "key": "43"]]])
                #expect(otherKey == ["valid": true])

                let fresh = try await client.result(
                    "check", ["epoch": epoch, "lsn": 1, "deps": [["table": "users", "key": "42"], ["table": "users"]]])
                #expect(fresh == ["valid": true])
            }
        }
    }

    @Test func checkAnswersFutureAndEpochAndEntries() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let hello = try await client.result("hello")
                let epoch = try #require(hello.objectValue?["epoch"])
                _ = try await client.result("write", ["changes": [["table": "orders"]]])
                let future = try await client.result("check", ["epoch": epoch, "lsn": 5, "deps": []])
                #expect(future == ["valid": false, "reason": "future"])
                let otherEpoch = try await client.result(
                    "check", ["epoch": .string(String(repeating: "ab", count: 16)), "lsn": 0, "deps": []])
                #expect(otherEpoch == ["valid": false, "reason": "epoch"])
                let entries = try await client.result("check", [
                    "entries": [
                        ["epoch": epoch, "lsn": 0, "deps": [["table": "orders", "key": "7"]]],
                        ["epoch": epoch, "lsn": 1, "deps": [["table": "orders", "key": "7"]]],
                        ["name": "never-registered"],
                    ]
                ])
                #expect(entries == [
                    "results": [
                        ["valid": false, "reason": "changed", "changed": [["table": "orders", "key": "7", "version": 1]]],
                        ["valid": true],
                        ["valid": false, "reason": "unknown"],
                    ]
                ])
            }
        }
    }

    @Test func logPagesThroughRecordsWithPeerCredentials() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                for index in 0..<5 {
                    _ = try await client.result(
                        "write",
                        ["changes": [["table": .string(index.isMultiple(of: 2) ? "a" : "b"), "keys": [.string("\(index)")]]], "meta": ["n": .integer(Int64(index))]])
                }
                let page = try await client.result("log", ["from": 2, "limit": 2])
                let records = try #require(page.objectValue?["records"]?.arrayValue)
                #expect(records.map { $0.objectValue?["lsn"] } == [2, 3])
                #expect(page.objectValue?["next"] == 4)
                #expect(page.objectValue?["oldest"] == 1)
                let first = try #require(records.first?.objectValue)
                #expect(first["kind"] == "write")
                #expect(first["changes"] == [["table": "b", "keys": ["1"]]])
                #expect(first["meta"] == ["n": 1])
                let peer = try #require(first["peer"]?.objectValue)
                #expect(peer["pid"] == JSONValue(Int(getpid())))
                #expect(peer["uid"] == JSONValue(Int(getuid())))
                let filtered = try await client.result("log", ["tables": ["a"]])
                #expect(filtered.objectValue?["records"]?.arrayValue?.map { $0.objectValue?["lsn"] } == [1, 3, 5])
            }
        }
    }

    @Test func statsCountsTheStoreAndTheConnection() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                _ = try await client.result("write", ["changes": [["table": "t", "keys": ["a", "b"]]]])
                let stats = try #require(try await client.result("stats").objectValue)
                #expect(stats["lsn"] == 1)
                #expect(stats["records"] == 1)
                #expect(stats["tables"] == 1)
                #expect(stats["keys"] == 2)
                #expect(stats["connections"] == 1)
                #expect(stats["sync"] == "full")
                #expect(stats["commits"] == 1)
            }
        }
    }

    @Test func aWideChangeKeepsItsFormInTheLog() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                _ = try await client.result("write", ["changes": [["table": "t", "keys": []], ["table": "u"]]])
                let page = try await client.result("log")
                #expect(page.objectValue?["records"]?.arrayValue?.first?.objectValue?["changes"] == [["table": "t"], ["table": "u"]])
            }
        }
    }
}
