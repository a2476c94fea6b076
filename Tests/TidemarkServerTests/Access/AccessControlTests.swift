import Foundation
import Testing
import TidemarkProtocol
import TidemarkServer
import TidemarkTestSupport

/// The policy enforced over a real socket. The test process is the only client, so the
/// server is configured to exclude it rather than the client changing identity; the
/// other-user case with the real binary is in `OtherUserTests`.
@Suite struct AccessControlTests {
    static let writeRequests: [(String, JSONValue)] = [
        ("write", ["changes": [["table": "users", "keys": ["1"]]]]),
        ("begin", ["changes": [["table": "users"]]]),
        ("commit", ["intent": "nope"]),
        ("abort", ["intent": "nope"]),
        ("register", ["name": "n", "epoch": .string(String(repeating: "0", count: 32)), "lsn": 0, "deps": []]),
        ("compact", ["before": 1]),
    ]
    static let readRequests: [(String, JSONValue)] = [
        ("stamp", ["deps": [["table": "users"]]]),
        ("check", ["epoch": .string(String(repeating: "0", count: 32)), "lsn": 0, "deps": []]),
        ("log", [:]),
        ("stats", [:]),
        ("watch", [:]),
        ("unwatch", ["watch": 1]),
    ]

    @Test func clientNotAmongWritersMayReadButNotWrite() async throws {
        try await TestServer.withServer(configure: { $0.server.access = AccessPolicy(writers: [.uid(4_000_000)]) }) { server in
            try await LineClient.with(server.socketPath) { client in
                let before = try await client.result("hello")
                for (method, params) in Self.writeRequests {
                    let response = try await client.request(method, params)
                    let error = response.objectValue?["error"]?.objectValue
                    #expect(error?["code"] == -32005, "\(method): \(response.jsonString)")
                    #expect(error?["data"]?.objectValue?["method"] == .string(method))
                }
                for (method, params) in Self.readRequests where method != "unwatch" {
                    let response = try await client.request(method, params)
                    #expect(response.objectValue?["error"] == nil, "\(method): \(response.jsonString)")
                }
                let after = try await client.result("hello")
                #expect(after.objectValue?["lsn"] == before.objectValue?["lsn"])
                #expect(try await client.result("stats").objectValue?["records"] == 0)
            }
        }
    }

    @Test func readersListRestrictsReadsEvenForWriters() async throws {
        try await TestServer.withServer(configure: { $0.server.access.readers = [.uid(4_000_000)] }) { server in
            try await LineClient.with(server.socketPath) { client in
                for (method, params) in Self.readRequests {
                    let response = try await client.request(method, params)
                    #expect(response.objectValue?["error"]?.objectValue?["code"] == -32005, "\(method)")
                }
                _ = try await client.result("ping")
                let written = try await client.result("write", Self.writeRequests[0].1)
                #expect(written.objectValue?["lsn"] == 1)
            }
        }
    }

    @Test func batchMembersAreJudgedOneByOne() async throws {
        try await TestServer.withServer(configure: { $0.server.access = AccessPolicy(writers: [.uid(4_000_000)]) }) { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send(
                    #"[{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t"}]}},"#
                        + #"{"jsonrpc":"2.0","id":2,"method":"stamp","params":{}}]"# + "\n")
                let responses = try await client.nextJSON().arrayValue ?? []
                #expect(responses.count == 2)
                #expect(responses.first?.objectValue?["error"]?.objectValue?["code"] == -32005)
                #expect(responses.last?.objectValue?["result"] != nil)
            }
        }
    }
}
