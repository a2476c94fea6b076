import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// The per-table counters of `stats {tables}` against a known workload, and their
/// survival across restarts (saved at shutdown; rebuilt from the log after a crash).
@Suite struct ActivityStatsTests {
    private static func write(_ client: LineClient, _ change: JSONValue) async throws -> JSONValue {
        try await client.result("write", ["changes": [change]])
    }

    @Test func countsAKnownWorkload() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let stamp = try await client.result("stamp", ["deps": []])
                let epoch = stamp.objectValue?["epoch"] ?? .null
                _ = try await Self.write(client, ["table": "users", "keys": ["1", "2"]])
                _ = try await Self.write(client, ["table": "users", "keys": ["2", "3"]])
                _ = try await Self.write(client, ["table": "users"])
                _ = try await Self.write(client, ["table": "orders", "keys": ["9"]])
                let begun = try await client.result("begin", ["changes": [["table": "orders", "keys": ["9"]]]])
                _ = try await client.result("commit", ["intent": begun.objectValue?["intent"] ?? .null])
                let aborted = try await client.result("begin", ["changes": [["table": "orders"]]])
                _ = try await client.result("abort", ["intent": aborted.objectValue?["intent"] ?? .null])
                let now = try await client.result("stamp", ["deps": []]).objectValue?["lsn"] ?? .null
                let registered = try await client.result(
                    "register", ["name": "page", "epoch": epoch, "lsn": now, "deps": [["table": "orders", "key": "9"]]])
                #expect(registered.objectValue?["registered"] == true)
                _ = try await Self.write(client, ["table": "orders", "keys": ["9"]])
                // Checks: users changed, orders valid, one future, one epoch, one by name.
                let checks: JSONValue = ["entries": [
                    ["epoch": epoch, "lsn": 0, "deps": [["table": "users", "key": "1"]]],
                    ["epoch": epoch, "lsn": 100, "deps": [["table": "orders"]]],
                    ["epoch": .string(String(repeating: "0", count: 32)), "lsn": 0, "deps": [["table": "users"]]],
                    ["name": "page"],
                ]]
                _ = try await client.result("check", checks)
                let fresh = try await client.result("stamp", ["deps": []]).objectValue?["lsn"] ?? .null
                _ = try await client.result("check", ["epoch": epoch, "lsn": fresh, "deps": [["table": "orders"]]])

                let stats = try await client.result("stats", ["tables": ["users", "orders", "never"]])
                let users = stats["per_table"]?["users"]
                #expect(users?["writes"] == 3)
                #expect(users?["wide_writes"] == 1)
                #expect(users?["keys_touched"] == 4)
                #expect(users?["distinct_keys"] == 3)
                #expect(users?["checks"]?["changed"] == 1)
                #expect(users?["checks"]?["epoch"] == 1)
                let orders = stats["per_table"]?["orders"]
                #expect(orders?["writes"] == 3, "write, commit, write")
                #expect(orders?["intents_opened"] == 2)
                #expect(orders?["intents_committed"] == 1)
                #expect(orders?["intents_aborted"] == 1)
                #expect(orders?["names_registered"] == 1)
                #expect(orders?["names_invalidated"] == 1)
                #expect(orders?["checks"]?["future"] == 1)
                #expect(orders?["checks"]?["valid"] == 1)
                #expect(stats["per_table"]?["never"]?["writes"] == 0)
                // Totals include the check by name.
                #expect(stats["checks"]?["unknown"] == 1)
                #expect(stats["checks"]?["valid"] == 1)
                // Without `tables`, no per-table section; `[]` gives every table seen.
                #expect(try await client.result("stats")["per_table"] == nil)
                let all = try await client.result("stats", ["tables": []])["per_table"]?.objectValue
                #expect(all?.map(\.key).sorted() == ["orders", "users"])
                let bad = try await client.request("stats", ["tables": 5])
                #expect(bad["error"]?["data"]?["field"] == "tables")
            }
        }
    }

    @Test func countersSurviveShutdownAndAreRebuiltFromTheLogAfterACrash() async throws {
        let directory = try TemporaryDirectory()
        func stats(_ socket: String) async throws -> JSONValue {
            try await LineClient.with(socket) { try await $0.result("stats", ["tables": ["t"]]) }
        }
        var server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        try await LineClient.with(directory.socketPath) { client in
            for key in 0..<5 { _ = try await Self.write(client, ["table": "t", "keys": .array([.string("k\(key)")])]) }
            let epoch = try await client.result("hello")["epoch"] ?? .null
            _ = try await client.result("check", ["epoch": epoch, "lsn": 0, "deps": [["table": "t"]]])
        }
        // kill -9 long before the periodic save: record counts come back from the log.
        await server.kill()
        server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        var table = try await stats(directory.socketPath)["per_table"]?["t"]
        #expect(table?["writes"] == 5)
        #expect(table?["distinct_keys"] == 5)
        // A graceful stop saves everything, checks included.
        try await LineClient.with(directory.socketPath) { client in
            let epoch = try await client.result("hello")["epoch"] ?? .null
            _ = try await client.result("check", ["epoch": epoch, "lsn": 0, "deps": [["table": "t"]]])
            _ = try await Self.write(client, ["table": "t"])
        }
        #expect(await server.terminate() == 0)
        server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        table = try await stats(directory.socketPath)["per_table"]?["t"]
        #expect(table?["writes"] == 6)
        #expect(table?["wide_writes"] == 1)
        // The check after the restart was saved at shutdown; the one before the crash only
        // if a periodic save (every 5 s) happened to come first.
        let changed = table?["checks"]?["changed"]?.uint64Value ?? 0
        #expect((1...2).contains(changed), "\(changed) checks counted")
        #expect(await server.terminate() == 0)
    }
}
