import Foundation
import TidemarkProtocol

struct ScenarioContext: Sendable {
    let socketPath: String
    /// Every table and name of the scenario starts with this (under `conformance.<random>.`).
    let tablePrefix: String

    func table(_ suffix: String) -> String { tablePrefix + "." + suffix }
}

struct ScenarioFailure: Error {
    var request: String
    var expected: String
    var actual: String
}

struct Scenario: Sendable {
    var name: String
    /// Methods it cannot do without: when it fails and the backend refuses one of them, it
    /// counts as not offered (`BackendOffer`).
    var needs: [String] = []
    /// Returns a note (e.g. why it was skipped) or nil; throws ScenarioFailure.
    var run: @Sendable (ScenarioContext) async throws -> String?
}

func require(_ condition: Bool, request: String, expected: String, actual: @autoclosure () -> String) throws {
    if !condition { throw ScenarioFailure(request: request, expected: expected, actual: actual()) }
}

func request(_ method: String, _ params: JSONValue? = nil, id: Int64) -> JSONValue {
    var object = JSONObject([("jsonrpc", "2.0"), ("id", .integer(id)), ("method", .string(method))])
    if let params { object["params"] = params }
    return .object(object)
}

func changes(_ table: String, keys: [String]? = nil) -> JSONValue {
    var change = JSONObject([("table", .string(table))])
    if let keys { change["keys"] = .array(keys.map(JSONValue.string)) }
    return ["changes": [.object(change)]]
}

extension LineConnection {
    /// The `result` of a call; a ScenarioFailure for an error or no answer.
    func result(_ method: String, _ params: JSONValue? = nil, id: Int64 = 1) async throws -> JSONValue {
        let sent = request(method, params, id: id)
        try await send(json: sent)
        guard let response = await nextResponse() else {
            throw ScenarioFailure(request: sent.jsonString, expected: "a response", actual: "no line")
        }
        guard let result = response["result"], response["id"] == .integer(id) else {
            throw ScenarioFailure(request: sent.jsonString, expected: "a result with id \(id)", actual: response.jsonString)
        }
        return result
    }
}

enum Scenarios {
    static let all: [Scenario] = [
        Scenario(name: "pipelining-order", run: { try await pipelining($0) }),
        Scenario(name: "batches", run: { try await batches($0) }),
        Scenario(name: "concurrent-writers", run: { try await concurrentWriters($0) }),
        Scenario(name: "intent-expiry-watch", needs: ["watch"], run: { try await intentExpiry($0) }),
        Scenario(name: "watch-replay-live-seam", needs: ["watch"], run: { try await watchSeam($0) }),
        Scenario(name: "slow-watcher", needs: ["watch"], run: { try await slowWatcher($0) }),
        Scenario(name: "over-long-line", run: { try await overLongLine($0) }),
        Scenario(name: "broken-utf8", run: { try await brokenUTF8($0) }),
        Scenario(name: "disconnect-mid-request", run: { try await disconnectMidRequest($0) }),
    ]

    /// 50 write+check pairs sent in one piece: answered in order, each check sees its write.
    static func pipelining(_ context: ScenarioContext) async throws -> String? {
        try await LineConnection.with(context.socketPath) { connection in
            let epoch = try await connection.result("hello")["epoch"] ?? .null
            let table = context.table("p")
            var text = ""
            for i in 0..<50 {
                text += request("write", changes(table, keys: ["k\(i)"]), id: Int64(2 * i + 10)).jsonString + "\n"
                let dep: JSONValue = ["table": .string(table), "key": .string("k\(i)")]
                text += request("check", ["epoch": epoch, "lsn": 0, "deps": [dep]], id: Int64(2 * i + 11)).jsonString + "\n"
            }
            try await connection.send(text)
            var previous: Int64 = 0
            for i in 0..<50 {
                let write = await connection.nextResponse()
                try require(
                    write?["id"] == .integer(Int64(2 * i + 10)) && (write?["result"]?["lsn"]?.int64Value ?? 0) > previous,
                    request: "pipelined write id \(2 * i + 10)", expected: "its result, lsn > \(previous)",
                    actual: write?.jsonString ?? "no line")
                let lsn = write?["result"]?["lsn"]?.int64Value ?? 0
                previous = lsn
                let check = await connection.nextResponse()
                let changed = check?["result"]?["changed"]?.arrayValue?.first?["version"]?.int64Value
                try require(
                    check?["id"] == .integer(Int64(2 * i + 11)) && check?["result"]?["reason"] == "changed" && changed == lsn,
                    request: "pipelined check id \(2 * i + 11)", expected: "changed at version \(lsn)",
                    actual: check?.jsonString ?? "no line")
            }
            return nil
        }
    }

    /// A batch of writes and a stamp: one array line, in order; a batch of only
    /// notifications gets no line at all.
    static func batches(_ context: ScenarioContext) async throws -> String? {
        try await LineConnection.with(context.socketPath) { connection in
            let table = context.table("b")
            var elements: [JSONValue] = (0..<10).map { request("write", changes(table), id: Int64($0 + 1)) }
            elements.append(request("stamp", ["deps": [["table": .string(table)]]], id: 99))
            let sent = JSONValue.array(elements)
            try await connection.send(json: sent)
            let answer = await connection.nextResponse()
            guard let items = answer?.arrayValue, items.count == 11 else {
                throw ScenarioFailure(request: sent.jsonString, expected: "an array of 11 responses", actual: answer?.jsonString ?? "no line")
            }
            var previous: Int64 = 0
            for (index, item) in items.prefix(10).enumerated() {
                let lsn = item["result"]?["lsn"]?.int64Value ?? 0
                try require(item["id"] == .integer(Int64(index + 1)) && lsn > previous,
                    request: sent.jsonString, expected: "responses in request order with increasing lsns", actual: answer?.jsonString ?? "")
                previous = lsn
            }
            try require(items[10]["result"]?["versions"] == [.integer(previous)],
                request: sent.jsonString, expected: "the stamp sees the batch's last write \(previous)", actual: items[10].jsonString)
            let notifications = JSONValue.array([
                ["jsonrpc": "2.0", "method": "ping"], ["jsonrpc": "2.0", "method": "write", "params": changes(table)],
            ])
            try await connection.send(json: notifications)
            let ping = try await connection.result("stamp", ["deps": [["table": .string(table)]]], id: 7)
            try require((ping["versions"]?.arrayValue?.first?.int64Value ?? 0) == previous + 1 || (ping["versions"]?.arrayValue?.first?.int64Value ?? 0) > previous,
                request: notifications.jsonString, expected: "no line for a batch of notifications, and its write applied",
                actual: ping.jsonString)
            return nil
        }
    }

    /// 20 connections write at once: every request answered once, LSNs distinct and the
    /// suite's records dense in the log.
    static func concurrentWriters(_ context: ScenarioContext) async throws -> String? {
        let table = context.table("cw")
        let perWriter = 10
        let lsns = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for writer in 0..<20 {
                group.addTask {
                    try await LineConnection.with(context.socketPath) { connection in
                        var text = ""
                        for i in 0..<perWriter {
                            text += request("write", changes(table, keys: ["w\(writer)-\(i)"]), id: Int64(i + 1)).jsonString + "\n"
                        }
                        try await connection.send(text)
                        var lsns: [Int64] = []
                        for i in 0..<perWriter {
                            let answer = await connection.nextResponse()
                            guard answer?["id"] == .integer(Int64(i + 1)), let lsn = answer?["result"]?["lsn"]?.int64Value else {
                                throw ScenarioFailure(request: "writer \(writer) write id \(i + 1)", expected: "one result in order", actual: answer?.jsonString ?? "no line")
                            }
                            lsns.append(lsn)
                        }
                        let extra = await connection.nextJSON(timeout: .milliseconds(100))
                        try require(extra == nil, request: "writer \(writer)", expected: "no further line", actual: extra?.jsonString ?? "")
                        return lsns
                    }
                }
            }
            var all: [Int64] = []
            for try await part in group { all += part }
            return all
        }
        let unique = Set(lsns)
        try require(unique.count == 20 * perWriter, request: "200 concurrent writes", expected: "200 distinct lsns", actual: "\(unique.count)")
        let low = lsns.min() ?? 0, high = lsns.max() ?? 0
        return try await LineConnection.with(context.socketPath) { connection in
            var records: [Int64] = []
            var from = low
            while from <= high {
                let page = try await connection.result("log", ["from": .integer(from), "limit": 10000, "tables": [.string(table)]])
                for record in page["records"]?.arrayValue ?? [] { records.append(record["lsn"]?.int64Value ?? -1) }
                guard let next = page["next"]?.int64Value, next > from else { break }
                from = next
            }
            let mine = records.filter { $0 <= high }
            try require(Set(mine) == unique && mine.count == unique.count,
                request: "log of the writers' table", expected: "exactly the 200 answered lsns", actual: "\(mine.count) records")
            // Dense: between the lowest and the highest, every LSN names a record.
            let page = try await connection.result("log", ["from": .integer(low), "limit": .integer(high - low + 1)])
            let all = (page["records"]?.arrayValue ?? []).compactMap { $0["lsn"]?.int64Value }
            try require(all == Array(low...high), request: "log from \(low)", expected: "every lsn \(low)...\(high)", actual: "\(all.count) records")
            return nil
        }
    }

    /// An intent with a 200 ms lease is expired by the server, observed through a watch.
    static func intentExpiry(_ context: ScenarioContext) async throws -> String? {
        try await LineConnection.with(context.socketPath) { connection in
            let table = context.table("ie")
            _ = try await connection.result("watch", ["tables": [.string(table)]])
            let begun = try await connection.result("begin", ["changes": [["table": .string(table), "keys": ["a"]]], "ttl_ms": 200])
            let intent = begun["intent"] ?? .null
            var expireLSN: Int64?
            let deadline = ContinuousClock.now + .seconds(5)
            while expireLSN == nil, ContinuousClock.now < deadline {
                guard let line = await connection.nextJSON(timeout: .seconds(5)) else { break }
                let record = line["params"]?["record"]
                if line["method"] == "watch.event", record?["kind"] == "expire", record?["intent"] == intent {
                    expireLSN = record?["lsn"]?.int64Value
                }
            }
            guard let expireLSN else {
                throw ScenarioFailure(request: "begin ttl_ms 200 then wait", expected: "a watch.event of kind expire for \(intent.jsonString)", actual: "none within 5 s")
            }
            let stamp = try await connection.result("stamp", ["deps": [["table": .string(table), "key": "a"]]], id: 3)
            try require(stamp["versions"] == [.integer(expireLSN)] && stamp["cacheable"] == true,
                request: "stamp after expiry", expected: "versions [\(expireLSN)], cacheable", actual: stamp.jsonString)
            try await connection.send(json: request("commit", ["intent": intent], id: 4))
            let commit = await connection.nextResponse()
            try require(commit?["error"]?["code"] == -32003 && commit?["error"]?["data"]?["state"] == "expired",
                request: "commit of the expired intent", expected: "-32003 state expired", actual: commit?.jsonString ?? "no line")
            return nil
        }
    }

    /// Replay and live delivery meet with no gap and no duplicate while another connection writes.
    static func watchSeam(_ context: ScenarioContext) async throws -> String? {
        let table = context.table("ws")
        return try await LineConnection.with(context.socketPath) { writer in
            var expected: [Int64] = []
            for _ in 0..<5 { expected.append(try await writer.result("write", changes(table))["lsn"]?.int64Value ?? 0) }
            return try await LineConnection.with(context.socketPath) { watcher in
                try await watcher.send(json: request("watch", ["from": .integer(expected[0]), "tables": [.string(table)]], id: 1))
                for i in 0..<20 { expected.append(try await writer.result("write", changes(table), id: Int64(i + 2))["lsn"]?.int64Value ?? 0) }
                var seen: [Int64] = []
                var answered = false
                while seen.count < expected.count || !answered {
                    guard let line = await watcher.nextJSON() else { break }
                    if line["id"] == 1 { answered = line["result"] != nil; continue }
                    if line["method"] == "watch.event", let lsn = line["params"]?["record"]?["lsn"]?.int64Value { seen.append(lsn) }
                }
                try require(answered && seen == expected, request: "watch from \(expected[0]) while writing",
                    expected: "events \(expected)", actual: "response \(answered), events \(seen)")
                return nil
            }
        }
    }

    /// A watcher that stops reading eventually gets `watch.lost`. Work is bounded: at most
    /// `bound` records are written; if the server buffers more, the check is skipped.
    static func slowWatcher(_ context: ScenarioContext) async throws -> String? {
        let table = context.table("sw")
        let bound = 12_000
        let slow = try RawSocket(path: context.socketPath)
        defer { slow.close() }
        let watchRequest = request("watch", ["tables": [.string(table)]], id: 1)
        try slow.write(watchRequest.jsonString + "\n")
        // Wait for the watch to start before writing.
        var reader = LineReader()
        var started = false
        while !started, let line = try reader.next(from: slow, timeoutMs: 5000) {
            if (try? JSONParser.parse(line))?["id"] == 1 { started = true }
        }
        try require(started, request: watchRequest.jsonString, expected: "a watch response", actual: "none")
        // `slow` now stops reading while another connection writes.
        let lastLSN = try await LineConnection.with(context.socketPath) { writer in
            var last: Int64 = 0
            for round in 0..<(bound / 1000) {
                let batch = JSONValue.array((0..<1000).map { request("write", changes(table, keys: [String(repeating: "k", count: 200) + "\(round)-\($0)"]), id: Int64($0 + 1)) })
                try await writer.send(json: batch)
                guard let answer = await writer.nextResponse(timeout: .seconds(60)), let items = answer.arrayValue else {
                    throw ScenarioFailure(request: "write batch \(round)", expected: "a batch answer", actual: "none")
                }
                last = items.last?["result"]?["lsn"]?.int64Value ?? last
            }
            return last
        }
        while let line = try reader.next(from: slow, timeoutMs: 5000) {
            guard let value = try? JSONParser.parse(line) else { continue }
            if value["method"] == "watch.lost" { return nil }
            if value["params"]?["record"]?["lsn"]?.int64Value == lastLSN {
                return "skipped: all \(bound) events were buffered without watch.lost (the server's backlog is larger than this bound)"
            }
        }
        throw ScenarioFailure(request: "\(bound) writes to a stalled watcher", expected: "watch.lost or every event", actual: "the stream stopped")
    }

    /// A line over `limits.max_line_bytes` gets -32600 with id null; one of exactly the limit is read; the connection stays usable.
    static func overLongLine(_ context: ScenarioContext) async throws -> String? {
        try await LineConnection.with(context.socketPath) { connection in
            let hello = try await connection.result("hello")
            guard let limit = hello["limits"]?["max_line_bytes"]?.int64Value, limit > 100, limit <= 64 << 20 else {
                throw ScenarioFailure(request: "hello", expected: "limits.max_line_bytes", actual: hello.jsonString)
            }
            let ping = #"{"jsonrpc":"2.0","id":2,"method":"ping"}"#
            let exact = ping + String(repeating: " ", count: Int(limit) - ping.utf8.count)
            try await connection.send(exact + "\n")
            let first = await connection.nextResponse()
            try require(first == ["jsonrpc": "2.0", "id": 2, "result": [:]], request: "ping padded to exactly \(limit) bytes",
                expected: #"{"jsonrpc":"2.0","id":2,"result":{}}"#, actual: first?.jsonString ?? "no line")
            try await connection.send(exact + " \n" + #"{"jsonrpc":"2.0","id":3,"method":"ping"}"# + "\n")
            let tooLong = await connection.nextResponse()
            try require(tooLong?["id"] == .null && tooLong?["error"]?["code"] == -32600,
                request: "a line of \(limit + 1) bytes", expected: "-32600 with id null", actual: tooLong?.jsonString ?? "no line")
            let after = await connection.nextResponse()
            try require(after == ["jsonrpc": "2.0", "id": 3, "result": [:]], request: "ping after the long line",
                expected: #"{"jsonrpc":"2.0","id":3,"result":{}}"#, actual: after?.jsonString ?? "no line")
            return nil
        }
    }

    /// Invalid UTF-8 is -32700 with id null, and the connection stays usable.
    static func brokenUTF8(_ context: ScenarioContext) async throws -> String? {
        try await LineConnection.with(context.socketPath) { connection in
            for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
                let bytes = Array(#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":""#.utf8) + bad + Array(#""}}"#.utf8) + [0x0A]
                try await connection.send(bytes: bytes)
                let answer = await connection.nextResponse()
                try require(answer?["id"] == .null && answer?["error"]?["code"] == -32700,
                    request: "ping with bytes \(bad) in a string", expected: "-32700 with id null", actual: answer?.jsonString ?? "no line")
            }
            let ping = try await connection.result("ping", id: 2)
            try require(ping == [:], request: "ping", expected: "{}", actual: ping.jsonString)
            return nil
        }
    }

    /// Clients that vanish mid-line or mid-request do not disturb others; a final line
    /// without `\n` before a half-close is still answered.
    static func disconnectMidRequest(_ context: ScenarioContext) async throws -> String? {
        let table = context.table("dc")
        try await LineConnection.with(context.socketPath) { connection in
            try await connection.send(#"{"jsonrpc":"2.0","id":1,"method":"wri"#)
        }
        try await LineConnection.with(context.socketPath) { connection in
            try await connection.send(json: request("write", changes(table), id: 1))
        }
        try await Task.sleep(for: .milliseconds(50))
        return try await LineConnection.with(context.socketPath) { connection in
            let stamp = try await connection.result("stamp", ["deps": [["table": .string(table)]]])
            try require((stamp["versions"]?.arrayValue?.first?.int64Value ?? 0) >= 0, request: "stamp", expected: "an answer", actual: stamp.jsonString)
            try await connection.send(#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#)
            await connection.finishSending()
            let last = await connection.nextResponse()
            try require(last == ["jsonrpc": "2.0", "id": 5, "result": [:]], request: "ping without \\n, then half-close",
                expected: #"{"jsonrpc":"2.0","id":5,"result":{}}"#, actual: last?.jsonString ?? "no line")
            return nil
        }
    }
}
