import Glibc
import TidemarkProtocol

/// Checks that harm the server, run only with `--disposable` against a server started
/// for them (see `ConformanceRunner.disposableServerFlags`): the error codes no client
/// can provoke safely on a server holding real data. They run in this order, and the
/// last one shuts the server down.
enum DisposableScenarios {
    static let all: [Scenario] = [
        Scenario(name: "forbidden", run: { try await forbidden($0) }),
        Scenario(name: "overloaded", run: { try await overloaded($0) }),
        Scenario(name: "storage-full", run: { try await storageFull($0) }),
        Scenario(name: "shutting-down", run: { try await shuttingDown($0) }),
    ]

    /// The server names another user in `--readers`: reads are -32005, hello and ping open.
    static func forbidden(_ context: ScenarioContext) async throws -> String? {
        try await LineConnection.with(context.socketPath) { connection in
            for method in ["stamp", "stats", "log"] {
                let answer = try await connection.call(method, [:])
                try require(
                    answer?["error"]?["code"] == -32005 && answer?["error"]?["data"]?["method"] == .string(method),
                    request: method, expected: "-32005 with data.method \"\(method)\"", actual: answer?.jsonString ?? "no line")
            }
            let ping = try await connection.result("ping", id: 2)
            try require(ping == [:], request: "ping", expected: "{}", actual: ping.jsonString)
            return nil
        }
    }

    /// A burst of writes beyond `--max-queued-writes`: each is answered, some with -32001,
    /// and those change nothing (the LSN advances by exactly the successes).
    static func overloaded(_ context: ScenarioContext) async throws -> String? {
        let table = context.table("ov")
        return try await LineConnection.with(context.socketPath) { connection in
            let before = try await lsn(connection)
            let burst = JSONValue.array((1...500).map { request("write", changes(table, keys: ["k\($0)"]), id: Int64($0)) })
            try await connection.send(json: burst)
            guard let answers = await connection.nextResponse(timeout: .seconds(60))?.arrayValue, answers.count == 500 else {
                throw ScenarioFailure(request: "a batch of 500 writes", expected: "500 answers", actual: "fewer or none")
            }
            let succeeded = answers.filter { $0["result"] != nil }.count
            let overloaded = answers.filter { $0["error"]?["code"] == -32001 }.count
            try require(
                overloaded > 0 && succeeded + overloaded == 500, request: "a batch of 500 writes",
                expected: "some -32001 (overloaded), the rest results", actual: "\(succeeded) results, \(overloaded) overloaded")
            let after = try await lsn(connection)
            try require(
                after == before + Int64(succeeded), request: "hello", expected: "lsn \(before) + \(succeeded)", actual: "lsn \(after)")
            return nil
        }
    }

    /// Writes until the map is full: -32002, nothing half-written, the connection still
    /// served, and writes work again once compaction has freed space.
    static func storageFull(_ context: ScenarioContext) async throws -> String? {
        let table = context.table("full")
        let meta = JSONValue.object(["pad": .string(String(repeating: "x", count: 15_000))])
        return try await LineConnection.with(context.socketPath) { connection in
            var full: JSONValue?
            var id: Int64 = 0
            for _ in 0..<400 where full == nil {
                id += 1
                let answer = try await connection.call("write", ["changes": [["table": .string(table)]], "meta": meta], id: id)
                if answer?["error"]?["code"] == -32002 { full = answer }
                else if answer?["result"] == nil {
                    throw ScenarioFailure(request: "write with 15 KB of meta", expected: "a result or -32002", actual: answer?.jsonString ?? "no line")
                }
            }
            guard full != nil else {
                return "skipped: 400 writes of 15 KB did not fill the map (start the server with --map-size 2MiB)"
            }
            let atFull = try await lsn(connection)
            let again = try await connection.call("write", ["changes": [["table": .string(table)]], "meta": meta], id: id + 1)
            try require(again?["error"]?["code"] == -32002, request: "another write", expected: "-32002", actual: again?.jsonString ?? "no line")
            let unchanged = try await lsn(connection)
            try require(unchanged == atFull, request: "hello after -32002", expected: "lsn \(atFull)", actual: "lsn \(unchanged)")
            let compacted = try await connection.call("compact", ["before": .integer(atFull + 1)], id: id + 2)
            try require(compacted?["result"]?["oldest"] != nil, request: "compact before \(atFull + 1)",
                expected: "a result", actual: compacted?.jsonString ?? "no line")
            let small = try await connection.call("write", changes(table), id: id + 3)
            try require(small?["result"]?["lsn"] == .integer(atFull + 1), request: "a small write after compaction",
                expected: "lsn \(atFull + 1)", actual: small?.jsonString ?? "no line")
            return nil
        }
    }

    /// SIGTERM to the server (its pid from the socket's credentials): requests that
    /// arrive afterwards get -32006 until the server closes the connection.
    static func shuttingDown(_ context: ScenarioContext) async throws -> String? {
        let socket = try RawSocket(path: context.socketPath)
        defer { socket.close() }
        guard let pid = socket.peerProcessID() else {
            throw ScenarioFailure(request: "SO_PEERCRED", expected: "the server's pid", actual: "none")
        }
        var reader = LineReader()
        try socket.write(request("ping", id: 0).jsonString + "\n")
        _ = try reader.next(from: socket, timeoutMs: 5000)
        guard kill(pid, SIGTERM) == 0 else {
            throw ScenarioFailure(request: "kill -TERM \(pid)", expected: "the signal delivered", actual: "errno \(errno)")
        }
        for id in 1...20_000 {
            try? socket.write(request("write", changes(context.table("sd")), id: Int64(id)).jsonString + "\n")
            guard let line = try reader.next(from: socket, timeoutMs: 5000), let answer = try? JSONParser.parse(line) else {
                break
            }
            if answer["error"]?["code"] == -32006 {
                try require(answer["id"] == .integer(Int64(id)), request: "write \(id)", expected: "its own id", actual: answer.jsonString)
                return nil
            }
            try require(answer["result"] != nil, request: "write \(id)", expected: "a result or -32006", actual: answer.jsonString)
        }
        throw ScenarioFailure(
            request: "writes after SIGTERM", expected: "-32006 before the connection closes", actual: "the connection closed")
    }

    private static func lsn(_ connection: LineConnection) async throws -> Int64 {
        let hello = try await connection.result("hello", id: 999)
        guard let lsn = hello["lsn"]?.int64Value else {
            throw ScenarioFailure(request: "hello", expected: "an lsn", actual: hello.jsonString)
        }
        return lsn
    }
}
