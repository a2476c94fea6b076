import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("Bad input gets a clear error and changes nothing")
struct BadInputTests {
    /// Sends `line` and returns the error object of its answer.
    private func error(_ client: LineClient, _ line: String) async throws -> JSONObject {
        try await client.send(line + "\n")
        let response = try await client.nextJSON()
        return try #require(response.objectValue?["error"]?.objectValue, "expected an error for \(line)")
    }

    @Test(arguments: [
        ("{", -32700),
        ("not json", -32700),
        ("", -32700),
        (#"{"jsonrpc":"2.0","id":1,"method":"hello"} trailing"#, -32700),
        (#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#, -32700),
        ("[]", -32600),
        (#"{"id":1,"method":"ping"}"#, -32600),
        (#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, -32600),
        (#"{"jsonrpc":"2.0","id":1,"method":7}"#, -32600),
        (#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, -32600),
        (#"{"jsonrpc":"2.0","id":1,"method":"frobnicate"}"#, -32601),
        (#"{"jsonrpc":"2.0","id":1,"method":"write","params":[1]}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"write"}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":"t"}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":""}]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t","keys":[""]}]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t","keys":"k"}]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t"}],"meta":[1]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"x","lsn":1,"deps":[]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"check","params":{"lsn":-1,"deps":[]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"stamp","params":{"dep":[]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"stamp","params":{"deps":[{"table":"t","key":5}]}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"log","params":{"from":1.5}}"#, -32602),
        (#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":1}}"#, -32602),
    ])
    func eachBadRequestGetsItsError(line: String, code: Int) async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let answer = try await error(client, line)
                #expect(answer["code"] == .integer(Int64(code)), "\(line) -> \(answer)")
                #expect(answer["message"]?.stringValue?.isEmpty == false)
                // The connection stays usable and nothing was written.
                let stats = try await client.result("stats")
                #expect(stats.objectValue?["lsn"] == 0)
            }
        }
    }

    @Test func invalidParamsNameTheField() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let first = try await error(
                    client,
                    #"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t"},{"table":"u","keys":["a",3]}]}}"#)
                #expect(first["data"] == ["field": "changes[1].keys[1]"])
                let missing = try await error(client, #"{"jsonrpc":"2.0","id":2,"method":"check","params":{"lsn":1,"deps":[]}}"#)
                #expect(missing["data"] == ["field": "epoch"])
            }
        }
    }

    @Test func anOverlongLineIsSkippedAndTheConnectionStaysUsable() async throws {
        try await TestServer.withServer(configure: { $0.server.limits.maxLineBytes = 1024 }) { server in
            try await LineClient.with(server.socketPath) { client in
                let hello = try await client.result("hello")
                #expect(hello.objectValue?["limits"]?.objectValue?["max_line_bytes"] == 1024)
                let huge = #"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t","keys":["# + String(repeating: #""k","#, count: 400) + #""k"]}]}}"#
                // Sent in pieces, as a slow client would.
                let bytes = Array((huge + "\n").utf8)
                for chunk in stride(from: 0, to: bytes.count, by: 300) {
                    try await client.send(bytes: Array(bytes[chunk..<min(chunk + 300, bytes.count)]))
                }
                let response = try await client.nextJSON()
                #expect(response.objectValue?["id"] == .null)
                #expect(response.objectValue?["error"]?.objectValue?["code"] == -32600)
                let stats = try await client.result("stats")
                #expect(stats.objectValue?["lsn"] == 0)
            }
        }
    }

    @Test func aLineOfExactlyTheLimitIsAccepted() async throws {
        try await TestServer.withServer(configure: { $0.server.limits.maxLineBytes = 100 }) { server in
            try await LineClient.with(server.socketPath) { client in
                let base = #"{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}"#
                let padded = base + String(repeating: " ", count: 100 - base.utf8.count)
                try await client.send(padded + "\n")
                let accepted = try await client.nextJSON()
                #expect(accepted.objectValue?["result"] == .object([:]))
                try await client.send(padded + " \n")
                let refused = try await client.nextJSON()
                #expect(refused.objectValue?["error"]?.objectValue?["code"] == -32600)
            }
        }
    }

    @Test func invalidUTF8IsAParseError() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                var bytes = Array(#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":""#.utf8)
                bytes += [0xFF, 0xFE]
                bytes += Array(#""}]}}"#.utf8) + [UInt8(ascii: "\n")]
                try await client.send(bytes: bytes)
                let refused = try await client.nextJSON()
                #expect(refused.objectValue?["error"]?.objectValue?["code"] == -32700)
                let stats = try await client.result("stats")
                #expect(stats.objectValue?["lsn"] == 0)
            }
        }
    }

    @Test func carriageReturnsAreTolerated() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send(#"{"jsonrpc":"2.0","id":7,"method":"ping"}"# + "\r\n")
                let pong = try await client.nextJSON()
                #expect(pong.objectValue?["id"] == 7)
            }
        }
    }

    @Test func aLastLineWithoutNewlineIsAnsweredAtEndOfInput() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send(#"{"jsonrpc":"2.0","id":3,"method":"write","params":{"changes":[{"table":"t"}]}}"#)
                client.finishSending()
                let response = try await client.nextJSON()
                #expect(response.objectValue?["result"]?.objectValue?["lsn"] == 1)
            }
        }
    }

    @Test func deepNestingIsRefusedWithoutCrashing() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n")
                let refused = try await client.nextJSON()
                #expect(refused.objectValue?["error"]?.objectValue?["code"] == -32700)
                let pong = try await client.result("ping")
                #expect(pong == .object([:]))
            }
        }
    }
}
