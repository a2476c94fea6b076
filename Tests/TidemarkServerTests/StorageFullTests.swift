import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("A full data file refuses writes and keeps serving reads")
struct StorageFullTests {
    @Test func writesGetStorageFullAndNothingIsHalfWritten() async throws {
        try await TestServer.withServer(configure: {
            $0.store.mapSize = 1 << 20
            $0.store.durable = false
        }) { server in
            try await LineClient.with(server.socketPath) { client in
                let epoch = try await client.result("hello").objectValue?["epoch"] ?? .null
                let padding = JSONValue.string(String(repeating: "x", count: 15_000))
                var acknowledged: Int64 = 0
                var refusal: JSONObject?
                for index in 0..<200 where refusal == nil {
                    let response = try await client.request(
                        "write", ["changes": [["table": "t", "keys": [.string("k\(index)")]]], "meta": ["pad": padding]])
                    if let lsn = response.objectValue?["result"]?.objectValue?["lsn"]?.int64Value {
                        acknowledged = lsn
                    } else {
                        refusal = response.objectValue?["error"]?.objectValue
                    }
                }
                let error = try #require(refusal, "a 1 MiB map must fill up")
                #expect(error["code"] == -32002)
                let stats = try await client.result("stats")
                #expect(stats.objectValue?["lsn"]?.int64Value == acknowledged, "the refused write left no record")
                let check = try await client.result(
                    "check", ["epoch": epoch, "lsn": JSONValue(acknowledged), "deps": [["table": "t", "key": "k0"]]])
                #expect(check == ["valid": true], "reads keep working")
                // Compacting frees pages inside the file, and writes work again without a restart.
                _ = try await client.result("compact", ["before": JSONValue(acknowledged)])
                let again = try await client.request("write", ["changes": [["table": "t", "keys": ["after"]]]])
                #expect(again.objectValue?["result"]?.objectValue?["lsn"]?.int64Value == acknowledged + 1)
            }
        }
    }
}
