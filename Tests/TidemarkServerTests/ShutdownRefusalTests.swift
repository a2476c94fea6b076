import Testing
import TidemarkProtocol
import TidemarkServer
import TidemarkTestSupport

/// Once shutdown begins, new requests are refused with -32006 (so a client knows they
/// were not applied and may retry after the restart) rather than silently dropped.
@Suite struct ShutdownRefusalTests {
    @Test func requestsDuringTheGracePeriodAreRefusedWithShuttingDown() async throws {
        try await TestServer.withServer(configure: { $0.server.shutdownGrace = .seconds(30) }) { server in
            try await LineClient.with(server.socketPath) { client in
                let before = try await client.result("write", ["changes": [["table": "t"]]])
                #expect(before.objectValue?["lsn"] == 1)
                await server.application.shutdown()
                // The flag is set by the connection's shutdown handler; pings show when.
                var refusal: JSONValue?
                for id in 1...10_000 {
                    let response = try await client.request("ping", id: Int64(id))
                    if response.objectValue?["error"] != nil {
                        refusal = response
                        break
                    }
                }
                #expect(refusal?.objectValue?["error"]?.objectValue?["code"] == -32006)
                let write = try await client.request("write", ["changes": [["table": "t"]]], id: 77)
                #expect(write.objectValue?["id"] == 77)
                #expect(write.objectValue?["error"]?.objectValue?["code"] == -32006)
                try await client.send("{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n")
                let stamp = try await client.request("stamp", [:], id: 78)
                #expect(stamp.objectValue?["error"]?.objectValue?["code"] == -32006, "notifications get no line")
            }
        }
    }

    @Test func withoutGraceReadingStopsAtOnceAndWhatWasReadIsAnswered() async throws {
        try await TestServer.withServer(configure: { $0.server.shutdownGrace = .zero }) { server in
            try await LineClient.with(server.socketPath) { client in
                _ = try await client.result("ping")
                await server.application.shutdown()
                // The input is closed: the server sends nothing more and ends the stream.
                while let line = await client.nextLine() {
                    Issue.record("unexpected line \(String(buffer: line))")
                }
            }
        }
    }
}
