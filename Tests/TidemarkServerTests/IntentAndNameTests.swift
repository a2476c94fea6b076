import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("Intents and named entries over the socket")
struct IntentAndNameTests {
    private static func error(_ response: JSONValue) -> JSONObject? {
        response.objectValue?["error"]?.objectValue
    }

    @Test func anOpenIntentMakesCoveredDepsPendingUntilCommit() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let epoch = try await client.result("hello").objectValue?["epoch"] ?? .null
                let begun = try await client.result("begin", ["changes": [["table": "users", "keys": ["42"]]], "meta": ["tx": "a"]])
                let intent = try #require(begun.objectValue?["intent"])
                #expect(begun.objectValue?["lsn"] == 1)
                #expect((begun.objectValue?["expires_at"]?.int64Value ?? 0) > 0)

                let stamp = try await client.result("stamp", ["deps": [["table": "users", "key": "42"]]])
                #expect(stamp.objectValue?["cacheable"] == false)
                let other = try await client.result("stamp", ["deps": [["table": "users", "key": "43"]]])
                #expect(other.objectValue?["cacheable"] == true, "a keyed intent covers only its keys")
                let tableDep = try await client.result("stamp", ["deps": [["table": "users"]]])
                #expect(tableDep.objectValue?["cacheable"] == false, "and its table")

                let pending = try await client.result(
                    "check", ["epoch": epoch, "lsn": 1, "deps": [["table": "users", "key": "42"], ["table": "orders"]]])
                #expect(pending == ["valid": false, "reason": "pending", "pending": [["table": "users", "key": "42"]]])

                let committed = try await client.result("commit", ["intent": intent])
                #expect(committed.objectValue?["lsn"] == 2)
                let after = try await client.result("check", ["epoch": epoch, "lsn": 1, "deps": [["table": "users", "key": "42"]]])
                #expect(after == ["valid": false, "reason": "changed", "changed": [["table": "users", "key": "42", "version": 2]]])

                let again = try await client.request("commit", ["intent": intent])
                #expect(Self.error(again)?["code"] == -32003)
                #expect(Self.error(again)?["data"] == ["state": "committed"])

                let log = try await client.result("log")
                let kinds = log.objectValue?["records"]?.arrayValue?.map { $0.objectValue?["kind"] }
                #expect(kinds == ["begin", "commit"])
                #expect(log.objectValue?["records"]?.arrayValue?.last?.objectValue?["meta"] == ["tx": "a"])
            }
        }
    }

    @Test func abortAdvancesNothing() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let begun = try await client.result("begin", ["changes": [["table": "t"]]])
                let aborted = try await client.result("abort", ["intent": begun.objectValue?["intent"] ?? .null])
                #expect(aborted == ["lsn": 2])
                let stamp = try await client.result("stamp", ["deps": [["table": "t"], ["table": "t", "key": "x"]]])
                #expect(stamp.objectValue?["versions"] == [0, 0])
                #expect(stamp.objectValue?["cacheable"] == true)
                let unknown = try await client.request("abort", ["intent": "no-such-intent"])
                #expect(Self.error(unknown)?["data"] == ["state": "unknown"])
                let missing = try await client.request("abort", [:])
                #expect(Self.error(missing)?["code"] == -32602)
                let wrongType = try await client.request("commit", ["intent": 5])
                #expect(Self.error(wrongType)?["code"] == -32602)
            }
        }
    }

    @Test func anIntentPastItsLeaseExpiresAndAdvancesVersions() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { watcher in
                _ = try await watcher.result("watch")
                let intent = try await LineClient.with(server.socketPath) { client in
                    try await client.result("begin", ["changes": [["table": "jobs", "keys": ["9"]]], "ttl_ms": 50])
                        .objectValue?["intent"] ?? .null
                }
                // The watcher sees the begin, then the expiry, in that order.
                var kinds: [JSONValue?] = []
                while kinds.count < 2 {
                    let event = try await watcher.nextJSON()
                    let record = event.objectValue?["params"]?.objectValue?["record"]?.objectValue
                    kinds.append(record?["kind"])
                    if record?["kind"] == "expire" {
                        #expect(record?["intent"] == intent)
                        #expect(record?["peer"]?.objectValue?["pid"] != nil)
                    }
                }
                #expect(kinds == ["begin", "expire"])
                let late = try await watcher.request("commit", ["intent": intent], id: 2)
                #expect(Self.error(late)?["data"] == ["state": "expired"])
                let stamp = try await watcher.request("stamp", ["deps": [["table": "jobs", "key": "9"]]], id: 3)
                #expect(stamp.objectValue?["result"]?.objectValue?["versions"] == [2])
                #expect(stamp.objectValue?["result"]?.objectValue?["cacheable"] == true)
            }
        }
    }

    @Test func namesAreInvalidatedByTheWritesThatChangeTheirDeps() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let epoch = try await client.result("hello").objectValue?["epoch"] ?? .null
                let registered = try await client.result("register", [
                    "name": "user:42", "epoch": epoch, "lsn": 0, "deps": [["table": "users", "key": "42"]],
                ])
                #expect(registered == ["registered": true, "valid": true])
                _ = try await client.result("register", [
                    "name": "user-list", "epoch": epoch, "lsn": 0, "deps": [["table": "users"]],
                ])
                _ = try await client.result("register", [
                    "name": "user:43", "epoch": epoch, "lsn": 0, "deps": [["table": "users", "key": "43"]],
                ])
                #expect(try await client.result("check", ["name": "user:42"]) == ["valid": true])

                let written = try await client.result("write", ["changes": [["table": "users", "keys": ["42"]]]])
                #expect(written.objectValue?["invalidated"] == ["user-list", "user:42"] || written.objectValue?["invalidated"] == ["user:42", "user-list"])
                #expect(try await client.result("check", ["name": "user:42"]) == ["valid": false, "reason": "unknown"])
                #expect(try await client.result("check", ["name": "user:43"]) == ["valid": true])

                let stale = try await client.result("register", [
                    "name": "user:43", "epoch": epoch, "lsn": 0, "deps": [["table": "users", "key": "42"]],
                ])
                #expect(stale == ["registered": false, "valid": false])
                #expect(try await client.result("check", ["name": "user:43"]) == ["valid": false, "reason": "unknown"],
                        "a failed register drops the earlier entry")
            }
        }
    }

    @Test func theInvalidatedListIsCappedButWatchersGetItWhole() async throws {
        try await TestServer.withServer(configure: { $0.server.limits.maxInvalidated = 3 }) { server in
            try await LineClient.with(server.socketPath) { client in
                let epoch = try await client.result("hello").objectValue?["epoch"] ?? .null
                for index in 0..<5 {
                    _ = try await client.result("register", [
                        "name": .string("n\(index)"), "epoch": epoch, "lsn": 0, "deps": [["table": "t"]],
                    ])
                }
                _ = try await client.result("watch")
                try await client.send(#"{"jsonrpc":"2.0","id":5,"method":"write","params":{"changes":[{"table":"t","keys":["x"]}]}}"# + "\n")
                var response: JSONObject?
                var event: JSONObject?
                while response == nil || event == nil {
                    let line = try #require(try await client.nextJSON().objectValue)
                    if line["id"] == 5 { response = line["result"]?.objectValue }
                    if line["method"] == "watch.event" { event = line["params"]?.objectValue }
                }
                #expect(response?["invalidated"]?.arrayValue?.count == 3)
                #expect(response?["invalidated_truncated"] == true)
                #expect(event?["invalidated"]?.arrayValue?.count == 5)
            }
        }
    }

    @Test func namesPastTheirTTLAreNotValid() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let epoch = try await client.result("hello").objectValue?["epoch"] ?? .null
                _ = try await client.result("register", [
                    "name": "short", "epoch": epoch, "lsn": 0, "deps": [["table": "t"]], "ttl_ms": 1,
                ])
                // Another round trip: at least a millisecond has passed by the check.
                _ = try await client.result("write", ["changes": [["table": "other"]]])
                let checked = try await client.result("check", ["name": "short"])
                #expect(checked.objectValue?["valid"] == false)
                #expect(checked.objectValue?["reason"] == "expired" || checked.objectValue?["reason"] == "unknown")
            }
        }
    }
}
