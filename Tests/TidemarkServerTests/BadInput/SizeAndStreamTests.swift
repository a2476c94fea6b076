import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// Hostile sizes and stream shapes: million-element arrays, names at and past their
/// limits, empty lines, a request cut off by end of input or a disconnect, batches and
/// pipelines of 10,000 requests.
@Suite("Bad input: sizes and stream shapes")
struct SizeAndStreamTests {
    /// 1,000,000 elements fit a 4 MiB line; each array is refused by its own limit, before
    /// its elements are even decoded.
    @Test func millionElementArraysWithinTheLineLimitAreRefusedByTheirLimits() async throws {
        let lineLimit = 4 << 20
        try await TestServer.withServer(configure: { $0.server.limits.maxLineBytes = lineLimit }) { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let hello = try await client.result("hello").objectValue
                #expect(hello?["limits"]?.objectValue?["max_line_bytes"] == .integer(Int64(lineLimit)))
                let epoch = try #require(hello?["epoch"]?.stringValue)
                let million = "[" + String(repeating: "0,", count: 999_999) + "0]"
                let cases: [(String, String, String)] = [
                    ("write", #"{"changes":\#(million)}"#, "changes"),
                    ("write", #"{"changes":[{"table":"t","keys":\#(million)}]}"#, "changes[0].keys"),
                    ("write", #"{"changes":[{"table":"t"}],"meta":{"a":\#(million)}}"#, "meta"),
                    ("begin", #"{"changes":\#(million)}"#, "changes"),
                    ("stamp", #"{"deps":\#(million)}"#, "deps"),
                    ("check", #"{"epoch":"\#(epoch)","lsn":0,"deps":\#(million)}"#, "deps"),
                    ("check", #"{"entries":\#(million)}"#, "entries"),
                    ("register", #"{"name":"n","epoch":"\#(epoch)","lsn":0,"deps":\#(million)}"#, "deps"),
                    ("log", #"{"tables":\#(million)}"#, "tables"),
                    ("watch", #"{"tables":\#(million)}"#, "tables"),
                ]
                for (method, params, field) in cases {
                    let line = BadInputProbe.request(method, params: params)
                    #expect(line.utf8.count <= lineLimit)
                    try await probe.expectRefused(line, code: -32602, field: field, id: 1)
                }
                // As a batch: too many requests, one error for the line.
                try await probe.expectRefused(million, code: -32600)
            }
        }
    }

    /// Tables, keys and names: 1 byte and exactly the limit are accepted, one byte more is
    /// -32602 naming the field. The limit counts UTF-8 bytes, not characters.
    @Test func namesAtAndPastTheirLimits() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let hello = try await client.result("hello").objectValue
                let limits = hello?["limits"]?.objectValue
                let epoch = try #require(hello?["epoch"]?.stringValue)
                let maxTable = try #require(limits?["max_table_bytes"]?.int64Value.map(Int.init))
                let maxKey = try #require(limits?["max_key_bytes"]?.int64Value.map(Int.init))
                let maxName = try #require(limits?["max_name_bytes"]?.int64Value.map(Int.init))
                func text(_ bytes: Int) -> String { String(repeating: "x", count: bytes) }
                var lsn: Int64 = 0

                func accepted(_ method: String, _ params: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONObject? {
                    let response = try await probe.answer(BadInputProbe.request(method, params: params))
                    #expect(response["error"] == nil, "\(method) \(params.prefix(120)) -> \(response)", sourceLocation: sourceLocation)
                    return response["result"]?.objectValue
                }

                for table in ["t", text(maxTable), String(repeating: "é", count: maxTable / 2)] {
                    let result = try await accepted("write", #"{"changes":[{"table":"\#(table)"}]}"#)
                    lsn += 1
                    #expect(result?["lsn"] == .integer(lsn))
                }
                for table in [text(maxTable + 1), String(repeating: "é", count: maxTable / 2) + "x", String(repeating: "😀", count: maxTable / 4 + 1), ""] {
                    try await probe.expectRefused(
                        BadInputProbe.request("write", params: #"{"changes":[{"table":"\#(table)"}]}"#),
                        code: -32602, field: "changes[0].table", id: 1)
                    try await probe.expectRefused(
                        BadInputProbe.request("stamp", params: #"{"deps":[{"table":"\#(table)"}]}"#),
                        code: -32602, field: "deps[0].table", id: 1)
                    try await probe.expectRefused(
                        BadInputProbe.request("log", params: #"{"tables":["\#(table)"]}"#),
                        code: -32602, field: "tables[0]", id: 1)
                }
                for key in ["k", text(maxKey)] {
                    _ = try await accepted("write", #"{"changes":[{"table":"t","keys":["\#(key)"]}]}"#)
                    lsn += 1
                    let stamp = try await accepted("stamp", #"{"deps":[{"table":"t","key":"\#(key)"}]}"#)
                    #expect(stamp?["versions"] == [.integer(lsn)])
                }
                for key in [text(maxKey + 1), ""] {
                    try await probe.expectRefused(
                        BadInputProbe.request("write", params: #"{"changes":[{"table":"t","keys":["k","\#(key)"]}]}"#),
                        code: -32602, field: "changes[0].keys[1]", id: 1)
                    try await probe.expectRefused(
                        BadInputProbe.request("stamp", params: #"{"deps":[{"table":"t","key":"\#(key)"}]}"#),
                        code: -32602, field: "deps[0].key", id: 1)
                }
                for name in ["n", text(maxName)] {
                    let registered = try await accepted(
                        "register", #"{"name":"\#(name)","epoch":"\#(epoch)","lsn":\#(lsn),"deps":[{"table":"t"}]}"#)
                    #expect(registered?["registered"] == true)
                    let check = try await accepted("check", #"{"name":"\#(name)"}"#)
                    #expect(check?["valid"] == true)
                }
                for name in [text(maxName + 1), ""] {
                    try await probe.expectRefused(
                        BadInputProbe.request(
                            "register", params: #"{"name":"\#(name)","epoch":"\#(epoch)","lsn":\#(lsn),"deps":[]}"#),
                        code: -32602, field: "name", id: 1)
                    try await probe.expectRefused(
                        BadInputProbe.request("check", params: #"{"name":"\#(name)"}"#), code: -32602, field: "name", id: 1)
                    try await probe.expectRefused(
                        BadInputProbe.request("check", params: #"{"entries":[{"name":"n"},{"name":"\#(name)"}]}"#),
                        code: -32602, field: "entries[1].name", id: 1)
                }
            }
        }
    }

    @Test func everyKindOfEmptyLineIsAParseErrorOfItsOwn() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let before = try await probe.state()
                let empties = ["", "\r", " ", "\t", "  \r", " \t \t "]
                try await client.send(empties.map { $0 + "\n" }.joined() + #"{"jsonrpc":"2.0","id":5,"method":"ping"}"# + "\n")
                for empty in empties {
                    let response = try await client.nextJSON().objectValue
                    #expect(response?["id"] == .null, "\(Array(empty.utf8))")
                    #expect(response?["error"]?.objectValue?["code"] == -32700, "\(Array(empty.utf8)) -> \(String(describing: response))")
                }
                let pong = try await client.nextJSON().objectValue
                #expect(pong?["id"] == 5)
                try await probe.expectUsable(unchangedFrom: before)
            }
        }
    }

    /// At end of input a final line without `\n` is still a line: a cut-off request is
    /// answered -32700 and writes nothing, a final batch is answered whole.
    @Test func aCutOffLastLineIsAnsweredAndWritesNothing() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send(#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t"}"#)
                client.finishSending()
                let response = try await client.nextJSON().objectValue
                #expect(response?["error"]?.objectValue?["code"] == -32700)
                #expect(response?["id"] == .null)
                #expect(await client.nextLine() == nil, "the server closes after answering")
            }
            try await LineClient.with(server.socketPath) { client in
                try await client.send(
                    #"[{"jsonrpc":"2.0","id":1,"method":"stats"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#)
                client.finishSending()
                let batch = try await client.nextJSON().arrayValue
                #expect(batch?.count == 2)
                #expect(batch?.first?.objectValue?["result"]?.objectValue?["lsn"] == 0)
                #expect(batch?.last?.objectValue?["id"] == 2)
            }
        }
    }

    /// A client that vanishes halfway through a request (or a batch) leaves no trace, and
    /// the server keeps serving others.
    @Test func aHalfWrittenRequestThenDisconnectChangesNothing() async throws {
        try await TestServer.withServer { server in
            let pieces = [
                #"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"tab"#,
                #"[{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":"t"}]}},{"jsonrpc":"2.0","#,
                #"{"jsonrpc":"2.0","id":1,"method":"begin","params":{"changes":[{"table":"t"}],"ttl_ms":"#,
                String(repeating: "[", count: 5000),
            ]
            for piece in pieces {
                try await LineClient.with(server.socketPath) { client in
                    try await client.send(piece)
                }
            }
            try await LineClient.with(server.socketPath) { client in
                let stats = try await client.result("stats").objectValue
                #expect(stats?["lsn"] == 0)
                #expect(stats?["open_intents"] == 0)
                let written = try await client.result("write", ["changes": [["table": "t"]]])
                #expect(written.objectValue?["lsn"] == 1)
            }
        }
    }

    /// 10,000 requests in one batch are over the default `max_batch` (one -32600 for the
    /// line, nothing done); with the limit raised they are all answered, in order, in one
    /// array; and 10,000 pipelined lines get 10,000 answers in order.
    @Test func tenThousandRequestsInABatchAndInAPipeline() async throws {
        let count = 10_000
        let writes = (1...count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"write","params":{"changes":[{"table":"t\#($0 % 7)"}]}}"# }
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let maxBatch = try await client.result("hello").objectValue?["limits"]?.objectValue?["max_batch"]
                #expect(maxBatch == 1000)
                try await probe.expectRefused("[" + writes.joined(separator: ",") + "]", code: -32600)
                try await client.send(writes.joined(separator: "\n") + "\n")
                for id in 1...count {
                    let response = try await client.nextJSON().objectValue
                    guard response?["id"] == .integer(Int64(id)), response?["result"]?.objectValue?["lsn"] == .integer(Int64(id))
                    else {
                        Issue.record("pipelined answer \(id): \(String(describing: response))")
                        return
                    }
                }
            }
        }
        try await TestServer.withServer(configure: {
            $0.server.limits.maxBatch = count
            $0.server.limits.maxLineBytes = 4 << 20
        }) { server in
            try await LineClient.with(server.socketPath) { client in
                try await client.send("[" + writes.joined(separator: ",") + "]\n")
                let answers = try #require(try await client.nextJSON().arrayValue)
                #expect(answers.count == count)
                for (index, answer) in answers.enumerated() where answer.objectValue?["id"] != .integer(Int64(index + 1)) {
                    Issue.record("batch answer \(index) out of order: \(answer)")
                    break
                }
                let lsns = answers.compactMap { $0.objectValue?["result"]?.objectValue?["lsn"]?.int64Value }
                #expect(lsns == (1...Int64(count)).map { $0 })
            }
        }
    }
}
