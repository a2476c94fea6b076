import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// Every size limit of PROTOCOL.md §6 is reported by `hello` with the value in force,
/// and enforced exactly there: a request at the limit is accepted, one past it refused
/// with the documented error, and nothing changes.
@Suite("Limits: reported by hello and enforced at the boundary")
struct LimitEnforcementTests {
    @Test func helloReportsEveryDocumentedLimit() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let limits = try #require(try await client.result("hello").objectValue?["limits"]?.objectValue)
                let documented: [String: Int64] = [
                    "max_line_bytes": 1_048_576, "max_batch": 1000, "max_depth": 64, "max_changes": 1000,
                    "max_write_tables": 1000,
                    "max_keys_per_change": 10_000, "max_deps": 1000, "max_entries": 1000, "max_tables": 1000,
                    "max_table_bytes": 128, "max_key_bytes": 256, "max_name_bytes": 256, "max_meta_bytes": 16_384,
                    "max_log_limit": 10_000, "default_lease_ms": 30_000, "max_lease_ms": 600_000,
                    "default_ttl_ms": 3_600_000, "max_ttl_ms": 2_592_000_000, "max_invalidated": 1000,
                ]
                for (name, value) in documented {
                    #expect(limits[name] == .integer(value), "\(name)")
                }
                #expect(Set(limits.keys) == Set(documented.keys), "hello reports exactly the limits of §6")
            }
        }
    }

    @Test func configuredLimitsAreReportedAndEnforced() async throws {
        try await TestServer.withServer(configure: { configuration in
            configuration.server.limits.maxBatch = 3
            configuration.server.limits.maxChanges = 2
            configuration.server.limits.maxKeysPerChange = 2
            configuration.server.limits.maxDeps = 2
            configuration.server.limits.maxEntries = 2
            configuration.server.limits.maxTables = 2
            configuration.server.limits.maxMetaBytes = 32
            configuration.server.limits.maxLeaseMs = 5000
            configuration.server.limits.maxTTLMs = 6000
            configuration.store.limits.maxTableBytes = 8
            configuration.store.limits.maxKeyBytes = 9
            configuration.store.limits.maxNameBytes = 10
        }) { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let hello = try #require(try await client.result("hello").objectValue)
                let epoch = try #require(hello["epoch"]?.stringValue)
                let limits = try #require(hello["limits"]?.objectValue)
                let expected: [String: Int64] = [
                    "max_batch": 3, "max_changes": 2, "max_write_tables": 2, "max_keys_per_change": 2, "max_deps": 2, "max_entries": 2,
                    "max_tables": 2, "max_meta_bytes": 32, "max_lease_ms": 5000, "max_ttl_ms": 6000,
                    "max_table_bytes": 8, "max_key_bytes": 9, "max_name_bytes": 10,
                ]
                for (name, value) in expected { #expect(limits[name] == .integer(value), "\(name)") }

                var lsn: Int64 = 0
                func accepted(_ method: String, _ params: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                    let response = try await probe.answer(BadInputProbe.request(method, params: params))
                    #expect(response["error"] == nil, "\(method) \(params) -> \(response)", sourceLocation: sourceLocation)
                    if ["write", "begin"].contains(method) { lsn += 1 }
                }
                func refused(_ method: String, _ params: String, _ field: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                    try await probe.expectRefused(
                        BadInputProbe.request(method, params: params), code: -32602, field: field, id: 1,
                        sourceLocation: sourceLocation)
                }

                // max_changes
                try await accepted("write", #"{"changes":[{"table":"a"},{"table":"b"}]}"#)
                try await refused("write", #"{"changes":[{"table":"a"},{"table":"b"},{"table":"c"}]}"#, "changes")
                try await refused("begin", #"{"changes":[{"table":"a"},{"table":"b"},{"table":"c"}]}"#, "changes")
                // max_keys_per_change
                try await accepted("write", #"{"changes":[{"table":"a","keys":["1","2"]}]}"#)
                try await refused("write", #"{"changes":[{"table":"a","keys":["1","2","3"]}]}"#, "changes[0].keys")
                // max_deps, in stamp, check and register
                let twoDeps = #"[{"table":"a"},{"table":"b","key":"1"}]"#
                let threeDeps = #"[{"table":"a"},{"table":"b"},{"table":"c"}]"#
                try await accepted("stamp", #"{"deps":\#(twoDeps)}"#)
                try await refused("stamp", #"{"deps":\#(threeDeps)}"#, "deps")
                try await accepted("check", #"{"epoch":"\#(epoch)","lsn":0,"deps":\#(twoDeps)}"#)
                try await refused("check", #"{"epoch":"\#(epoch)","lsn":0,"deps":\#(threeDeps)}"#, "deps")
                try await refused(
                    "check", #"{"entries":[{"epoch":"\#(epoch)","lsn":0,"deps":\#(threeDeps)}]}"#, "entries[0].deps")
                try await accepted("register", #"{"name":"n","epoch":"\#(epoch)","lsn":\#(lsn),"deps":\#(twoDeps)}"#)
                try await refused("register", #"{"name":"m","epoch":"\#(epoch)","lsn":\#(lsn),"deps":\#(threeDeps)}"#, "deps")
                // max_entries
                try await accepted("check", #"{"entries":[{"name":"n"},{"name":"m"}]}"#)
                try await refused("check", #"{"entries":[{"name":"n"},{"name":"m"},{"name":"o"}]}"#, "entries")
                // max_tables, for log and watch
                try await accepted("log", #"{"tables":["a","b"]}"#)
                try await refused("log", #"{"tables":["a","b","c"]}"#, "tables")
                try await refused("watch", #"{"tables":["a","b","c"]}"#, "tables")
                // max_meta_bytes, measured as compact JSON: {"k":"…"} is 8 bytes + the text.
                try await accepted("write", #"{"changes":[{"table":"a"}],"meta":{"k":"\#(String(repeating: "x", count: 24))"}}"#)
                try await refused(
                    "write", #"{"changes":[{"table":"a"}],"meta":{"k":"\#(String(repeating: "x", count: 25))"}}"#, "meta")
                try await refused(
                    "begin", #"{"changes":[{"table":"a"}],"meta":{"k":"\#(String(repeating: "x", count: 25))"}}"#, "meta")
                // max_table_bytes, max_key_bytes, max_name_bytes
                try await accepted("write", #"{"changes":[{"table":"12345678","keys":["123456789"]}]}"#)
                try await refused("write", #"{"changes":[{"table":"123456789"}]}"#, "changes[0].table")
                try await refused("write", #"{"changes":[{"table":"a","keys":["1234567890"]}]}"#, "changes[0].keys[0]")
                try await accepted("register", #"{"name":"1234567890","epoch":"\#(epoch)","lsn":\#(lsn),"deps":[]}"#)
                try await refused("register", #"{"name":"12345678901","epoch":"\#(epoch)","lsn":\#(lsn),"deps":[]}"#, "name")
                // max_lease_ms and max_ttl_ms
                try await accepted("begin", #"{"changes":[{"table":"z"}],"ttl_ms":5000}"#)
                try await refused("begin", #"{"changes":[{"table":"z"}],"ttl_ms":5001}"#, "ttl_ms")
                try await accepted("register", #"{"name":"t","epoch":"\#(epoch)","lsn":\#(lsn),"deps":[],"ttl_ms":6000}"#)
                try await refused("register", #"{"name":"t","epoch":"\#(epoch)","lsn":\#(lsn),"deps":[],"ttl_ms":6001}"#, "ttl_ms")
                // max_batch: three requests answered, four refused as a whole.
                let ping = #"{"jsonrpc":"2.0","id":9,"method":"ping"}"#
                try await client.send("[\(ping),\(ping),\(ping)]\n")
                #expect(try await client.nextJSON().arrayValue?.count == 3)
                try await probe.expectRefused("[\(ping),\(ping),\(ping),\(ping)]", code: -32600)
                let stats = try await client.result("stats").objectValue
                #expect(stats?["lsn"] == .integer(lsn))
            }
        }
    }

    /// `log.limit` above `max_log_limit` is capped, not refused.
    @Test func theLogLimitIsCappedNotRefused() async throws {
        try await TestServer.withServer(configure: { $0.server.limits.maxLogLimit = 3 }) { server in
            try await LineClient.with(server.socketPath) { client in
                for _ in 0..<5 { _ = try await client.result("write", ["changes": [["table": "t"]]]) }
                let page = try await client.result("log", ["limit": 1000]).objectValue
                #expect(page?["records"]?.arrayValue?.count == 3)
                #expect(page?["next"] == 4)
            }
        }
    }
}
