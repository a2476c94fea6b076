import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// Storage full as an operator meets it: the real binary with a small `--map-size` and
/// fsync on. Complements `StorageFullTests` (in-process, one cycle): every kind of write is
/// refused whole, every kind of read keeps working, `verify` stays clean, and compaction
/// makes room again, cycle after cycle, without a restart, because LMDB reuses the pages
/// the dropped records occupied (the data file never grows past the map).
@Suite("Storage full: the real binary with --map-size", .serialized, .timeLimit(.minutes(2)))
struct StorageFullProcessTests {
    static let mapBytes = 1 << 20
    static let padding = JSONValue.string(String(repeating: "p", count: 12_000))

    static func big(_ key: String) -> JSONValue {
        ["changes": [["table": "full", "keys": [.string(key)]]], "meta": ["pad": padding]]
    }

    /// Writes 12 kB records of fresh keys until one is refused; returns how many fit.
    static func fill(_ client: LineClient, cycle: Int) async throws -> Int {
        for index in 0..<1_000 {
            let response = try await client.request("write", big("c\(cycle)-\(index)"))
            guard response["result"]?["lsn"] != nil else {
                #expect(response["error"]?["code"] == -32002, "cycle \(cycle): \(response.jsonString)")
                #expect(response["id"] == 1)
                return index
            }
        }
        Issue.record("a \(mapBytes)-byte map never filled")
        return 1_000
    }

    @Test func fullMapRefusesEveryWriteWholeKeepsReadsAndReusesCompactedPages() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: ["--map-size", "1MiB"])
        let (counts, firstAfterCompaction) = try await LineClient.with(directory.socketPath) { client in
            var counts: [Int] = []
            var firstAfterCompaction: [String] = []
            let epoch = try #require(try await client.result("hello")["epoch"])
            let named = try await client.result(
                "register", ["name": "kept", "epoch": epoch, "lsn": 0, "deps": [["table": "other", "key": "x"]]])
            #expect(named["registered"] == true)
            var intent: JSONValue?

            for cycle in 0..<4 {
                counts.append(try await Self.fill(client, cycle: cycle))

                // Then every kind of write, round after round, until a whole round is
                // refused: from there on the state cannot change, so each of them must be
                // refused again and leave nothing behind.
                var attempt = 0
                func round() -> [(String, JSONValue)] {
                    attempt += 1
                    let key = JSONValue.string("s\(cycle)-\(attempt)")
                    var requests: [(String, JSONValue)] = [
                        ("write", Self.big("b\(cycle)-\(attempt)")),
                        ("write", ["changes": [["table": "full", "keys": [key]]]]),
                        ("write", ["changes": [["table": "full", "keys": [key]], ["table": "wide"]]]),
                        ("register", ["name": key, "epoch": epoch, "lsn": 0, "deps": [["table": "other", "key": key]]]),
                    ]
                    requests.append(
                        intent.map { ("commit", ["intent": $0]) }
                            ?? ("begin", ["changes": [["table": "open", "keys": [key]]], "ttl_ms": 600_000]))
                    return requests
                }
                // Runs one round; true when every request of it was refused.
                func refusedWholeRound() async throws -> Bool {
                    var refused = true
                    for (method, params) in round() {
                        let response = try await client.request(method, params)
                        if let result = response["result"] {
                            refused = false
                            if method == "begin" { intent = result["intent"] }
                            if method == "commit" { intent = nil }
                        } else {
                            #expect(response["error"]?["code"] == -32002, "cycle \(cycle): \(method): \(response.jsonString)")
                        }
                    }
                    return refused
                }
                // A whole round refused, then stats, then one more round that must be
                // refused whole too. Pages an earlier commit freed come back once no read
                // transaction holds the snapshot that used them, so a loaded machine can
                // let a write of that round fit: then the map is filled again.
                var before = JSONValue.null
                var refusedWhole = false
                for _ in 0..<5 where !refusedWhole {
                    var settled = false
                    while !settled && attempt < 2_000 {
                        settled = try await refusedWholeRound()
                    }
                    #expect(settled, "cycle \(cycle): the map never filled for small writes")
                    before = try await client.result("stats")
                    refusedWhole = try await refusedWholeRound()
                }
                #expect(refusedWhole, "cycle \(cycle): writes kept fitting on a full map")
                let after = try await client.result("stats")
                for field in ["lsn", "records", "tables", "keys", "open_intents", "names"] {
                    #expect(after[field] == before[field], "cycle \(cycle): \(field) changed by refused writes")
                }
                #expect(after["map_bytes"]?.int64Value == Int64(Self.mapBytes))
                let lsn = try #require(after["lsn"]?.int64Value)
                let refusedKey = JSONValue.string("s\(cycle)-\(attempt)")

                // Reads go on, and see nothing of the refused writes.
                let stamp = try await client.result(
                    "stamp",
                    ["deps": [["table": "full", "key": refusedKey], ["table": "other", "key": refusedKey], ["table": "full"]]])
                #expect(stamp["lsn"]?.int64Value == lsn)
                #expect(stamp["versions"]?.arrayValue?.prefix(2) == [0, 0], "cycle \(cycle): a refused write moved a version")
                let check = try await client.result(
                    "check", ["epoch": epoch, "lsn": .integer(lsn), "deps": [["table": "full"], ["table": "wide"]]])
                #expect(check["valid"] == true || check["reason"] == "pending", "cycle \(cycle): \(check.jsonString)")
                #expect(try await client.result("check", ["name": "kept"]) == ["valid": true])
                #expect(try await client.result("check", ["name": refusedKey])["reason"] == "unknown")
                let tail = try await client.result("log", ["from": .integer(lsn)])
                #expect(tail["records"]?.arrayValue?.map { $0["lsn"] } == [.integer(lsn)], "no record after the last acknowledged")
                #expect(try await client.result("ping") == [:])
                let verify = try await Fault.verify(dataPath: directory.dataPath)
                #expect(verify.status == 0, "cycle \(cycle): verify on a full map:\n\(verify.output)")

                // Dropping every record frees its pages inside the file, and writes must
                // work again without a restart. LMDB hands out a page freed by transaction
                // C only from transaction C+2 on, so the first write after the compaction
                // has to fit in what else is free.
                let compacted = try await client.request("compact", ["before": .integer(lsn + 1)])
                #expect(compacted["result"]?["oldest"]?.int64Value == lsn + 1, "cycle \(cycle): \(compacted.jsonString)")
                let probes: [(String, String, JSONValue)] = [
                    ("small write", "write", ["changes": [["table": "full", "keys": .array([.string("after-\(cycle)")])]]]),
                    ("small write", "write", ["changes": [["table": "full", "keys": .array([.string("after2-\(cycle)")])]]]),
                    ("register", "register", ["name": .string("after-\(cycle)"), "epoch": epoch, "lsn": 0, "deps": []]),
                    ("small write", "write", ["changes": [["table": "full", "keys": .array([.string("after3-\(cycle)")])]]]),
                    ("12 kB write", "write", Self.big("after-\(cycle)")),
                ]
                var outcomes: [String] = []
                for (label, method, params) in probes {
                    let response = try await client.request(method, params)
                    outcomes.append("\(label): \(response["result"] != nil ? "ok" : "\(response["error"]?["code"] ?? .null)")")
                }
                firstAfterCompaction.append("cycle \(cycle): " + outcomes.joined(separator: ", "))
                #expect(outcomes.allSatisfy { $0.hasSuffix(": ok") }, "cycle \(cycle), writes right after compaction: \(outcomes)")
            }
            return (counts, firstAfterCompaction)
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: directory.dataPath + "/data.mdb")[.size] as? Int)
        #expect(size <= Self.mapBytes, "the data file stays within the map")
        // Every cycle after the first fits most of what the first did: freed pages are reused
        // (versions and names are kept, so a little less each time).
        #expect(counts.count == 4 && counts.allSatisfy { $0 >= counts[0] / 2 }, "records per cycle \(counts)")
        print(
            "storage full: 12 kB records that fit a 1 MiB map per cycle: \(counts); data.mdb \(size) bytes;",
            "writes right after each compaction: \(firstAfterCompaction)")
        #expect(await server.terminate() == 0)
        let verify = try await Fault.verify(dataPath: directory.dataPath)
        #expect(verify.status == 0, "\(verify.output)")
    }
}
