import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// `kill -9` of the real binary, again and again, while writers, intents, registrations and
/// a watcher run against it. Each kill comes after a seeded number of acknowledged
/// operations (not after a time), so it lands at a different point of the group-commit
/// cycle every round. After each kill `tidemark verify` must find the directory clean, and
/// after each restart everything any client was told must still hold.
@Suite("Crash loop: kill -9 at random moments under mixed load", .serialized, .timeLimit(.minutes(3)))
struct CrashLoopTests {
    static let kills = 24

    /// The seed: `TIDEMARK_CRASH_SEED` replays a failing run.
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["TIDEMARK_CRASH_SEED"].flatMap { UInt64($0) } ?? 0x7469_6465_6D61_726B
    }

    /// Everything the server acknowledged, over all rounds.
    struct Ledger: Sendable {
        var writes: [(key: String, lsn: Int64)] = []
        /// Acknowledged `begin`s: intent id -> its key, LSN, and whether its lease outlasts
        /// the test (short ones may expire at any moment, across restarts too).
        var intents: [String: (key: String, lsn: Int64, long: Bool)] = [:]
        /// Intents a `commit` or `abort` was sent for, answered or not.
        var closeSent: Set<String> = []
        var commits: [(intent: String, lsn: Int64)] = []
        var aborts: [(intent: String, lsn: Int64)] = []
        /// -32003 answers: (intent, state).
        var refusals: [(intent: String, state: String)] = []
        var names: [String] = []
        /// Records seen by watchers: a watcher may only ever see durable records.
        var watched: [(lsn: Int64, kind: String, intent: String?)] = []
        var highestAcknowledged: Int64 = 0
        var problems: [String] = []
        var acknowledgedPerRound: [Int] = []

        mutating func acknowledge(_ lsn: Int64) {
            highestAcknowledged = max(highestAcknowledged, lsn)
        }
    }

    @Test func everyAcknowledgementSurvivesRepeatedKillNine() async throws {
        let started = ContinuousClock.now
        let directory = try TemporaryDirectory()
        var random = SeededGenerator(seed: Self.seed)
        let ledger = LockedBox(Ledger())
        var epoch: JSONValue?
        var verifyFailures: [String] = []
        for round in 0...Self.kills {
            let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
            let snapshot = ledger.withLock { $0 }
            let hello = try await LineClient.with(directory.socketPath) { client in
                let hello = try await client.result("hello")
                if round > 0 { try await Self.checkInvariants(client, snapshot, round: round) }
                return hello
            }
            if let epoch { #expect(hello["epoch"] == epoch, "round \(round): the epoch survives kill -9") }
            epoch = hello["epoch"]
            if round == Self.kills {
                #expect(await server.terminate() == 0)
                break
            }
            let killAfter = Int.random(in: 15...120, using: &random)
            let seeds = (0..<6).map { _ in random.next() }
            let acknowledged = try await Self.runLoad(
                directory.socketPath, round: round, seeds: seeds, killAfter: killAfter, ledger: ledger, server: server)
            ledger.withLock { $0.acknowledgedPerRound.append(acknowledged) }
            let verify = try await Fault.verify(dataPath: directory.dataPath)
            if verify.status != 0 { verifyFailures.append("round \(round): status \(verify.status)\n\(verify.output)") }
        }
        let final = ledger.withLock { $0 }
        #expect(verifyFailures.isEmpty, "tidemark verify after kill -9:\n\(verifyFailures.joined(separator: "\n"))")
        #expect(final.problems.isEmpty, "\(final.problems.prefix(20))")
        #expect(final.acknowledgedPerRound.count == Self.kills)
        #expect(final.acknowledgedPerRound.allSatisfy { $0 >= 15 }, "each kill came after its acknowledgements")
        #expect(!final.commits.isEmpty && !final.aborts.isEmpty && !final.names.isEmpty && !final.watched.isEmpty)
        print(
            "crash loop: seed \(Self.seed), \(Self.kills) kills, \(final.writes.count) writes, \(final.intents.count) intents",
            "(\(final.commits.count) committed, \(final.aborts.count) aborted), \(final.names.count) names,",
            "\(final.watched.count) watch events; \(final.intents.keys.filter { !final.closeSent.contains($0) }.count) intents",
            "never closed (checked open or expired), \(final.refusals.count) closes refused -32003",
            "(\(Set(final.refusals.map(\.state)).sorted())); \(ContinuousClock.now - started)")
    }

    /// One round: six clients until `killAfter` operations are acknowledged, then SIGKILL
    /// (the clients end as their connections drop). Returns the acknowledgements counted.
    static func runLoad(
        _ socket: String, round: Int, seeds: [UInt64], killAfter: Int, ledger: LockedBox<Ledger>, server: ServerProcess
    ) async throws -> Int {
        let (progress, progressSink) = AsyncStream.makeStream(of: Void.self)
        let counted = LockedBox(0)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<3 {
                group.addTask {
                    await writerClient(socket, name: "r\(round)w\(writer)", seed: seeds[writer], ledger: ledger, progress: progressSink)
                }
            }
            group.addTask { await intentClient(socket, name: "r\(round)", seed: seeds[3], ledger: ledger, progress: progressSink) }
            group.addTask { await registerClient(socket, name: "r\(round)", seed: seeds[4], ledger: ledger, progress: progressSink) }
            group.addTask { await watcher(socket, ledger: ledger) }
            group.addTask {
                for await _ in progress {
                    let count = counted.withLock { $0 += 1; return $0 }
                    if count == killAfter {
                        await server.kill()
                        return
                    }
                }
            }
            await group.waitForAll()
        }
        progressSink.finish()
        return counted.withLock { $0 }
    }

    /// Pipelines 1–4 writes of fresh keys, reads the answers, and now and then reads its
    /// own last write back.
    static func writerClient(
        _ socket: String, name: String, seed: UInt64, ledger: LockedBox<Ledger>, progress: AsyncStream<Void>.Continuation
    ) async {
        try? await LineClient.with(socket) { client in
            var random = SeededGenerator(seed: seed)
            var id: Int64 = 0
            var index = 0
            while true {
                var keys: [(id: Int64, key: String)] = []
                var text = ""
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    id += 1
                    let key = "\(name)-\(index)"
                    index += 1
                    keys.append((id, key))
                    text += Fault.line(id, "write", ["changes": [["table": "crash", "keys": [.string(key)]]]])
                }
                try await client.send(text)
                var last: (key: String, lsn: Int64)?
                for (id, key) in keys {
                    let response = try await client.nextJSON()
                    guard response["id"] == .integer(id), let lsn = response["result"]?["lsn"]?.int64Value else {
                        ledger.withLock { $0.problems.append("write \(key): \(response.jsonString)") }
                        return
                    }
                    ledger.withLock {
                        $0.writes.append((key, lsn))
                        $0.acknowledge(lsn)
                    }
                    last = (key, lsn)
                    progress.yield()
                }
                if let last, Int.random(in: 0..<4, using: &random) == 0 {
                    let stamp = try await client.result("stamp", ["deps": [["table": "crash", "key": .string(last.key)]]])
                    if stamp["versions"] != [.integer(last.lsn)] || (stamp["lsn"]?.int64Value ?? 0) < last.lsn {
                        ledger.withLock { $0.problems.append("read-your-write \(last): \(stamp.jsonString)") }
                    }
                }
            }
        }
    }

    /// Begins intents (a short lease that may expire across restarts, or a long one), then
    /// commits, aborts or leaves them open; also closes intents left open by earlier rounds.
    static func intentClient(
        _ socket: String, name: String, seed: UInt64, ledger: LockedBox<Ledger>, progress: AsyncStream<Void>.Continuation
    ) async {
        try? await LineClient.with(socket) { client in
            var random = SeededGenerator(seed: seed)
            var index = 0
            while true {
                var toClose: String?
                if Int.random(in: 0..<4, using: &random) == 0 {
                    toClose = ledger.withLock { ledger in
                        let candidates = ledger.intents.keys.filter { !ledger.closeSent.contains($0) }.sorted()
                        guard let pick = candidates.randomElement() else { return nil }
                        ledger.closeSent.insert(pick)
                        return pick
                    }
                } else {
                    let key = "\(name)-i\(index)"
                    index += 1
                    let long = Bool.random(using: &random)
                    let response = try await client.request(
                        "begin", ["changes": [["table": "intents", "keys": [.string(key)]]], "ttl_ms": long ? 600_000 : 1_500])
                    guard let intent = response["result"]?["intent"]?.stringValue,
                        let lsn = response["result"]?["lsn"]?.int64Value
                    else {
                        ledger.withLock { $0.problems.append("begin \(key): \(response.jsonString)") }
                        return
                    }
                    ledger.withLock {
                        $0.intents[intent] = (key, lsn, long)
                        $0.acknowledge(lsn)
                    }
                    progress.yield()
                    if Int.random(in: 0..<10, using: &random) < 6 {
                        ledger.withLock { _ = $0.closeSent.insert(intent) }
                        toClose = intent
                    }
                }
                guard let intent = toClose else { continue }
                let commit = Int.random(in: 0..<3, using: &random) < 2
                let response = try await client.request(commit ? "commit" : "abort", ["intent": .string(intent)])
                if let lsn = response["result"]?["lsn"]?.int64Value {
                    ledger.withLock {
                        if commit { $0.commits.append((intent, lsn)) } else { $0.aborts.append((intent, lsn)) }
                        $0.acknowledge(lsn)
                    }
                    progress.yield()
                } else if response["error"]?["code"] == -32003, let state = response["error"]?["data"]?["state"]?.stringValue {
                    ledger.withLock { $0.refusals.append((intent, state)) }
                } else {
                    ledger.withLock { $0.problems.append("close \(intent): \(response.jsonString)") }
                    return
                }
            }
        }
    }

    /// Stamps a dep nobody writes, registers a name on it (which must be stored), and
    /// checks earlier names by name.
    static func registerClient(
        _ socket: String, name: String, seed: UInt64, ledger: LockedBox<Ledger>, progress: AsyncStream<Void>.Continuation
    ) async {
        try? await LineClient.with(socket) { client in
            var random = SeededGenerator(seed: seed)
            var index = 0
            while true {
                let entry = "\(name)-n\(index)"
                index += 1
                let deps: JSONValue = [["table": "names", "key": .string(entry)]]
                let stamp = try await client.result("stamp", ["deps": deps])
                let response = try await client.request(
                    "register",
                    ["name": .string(entry), "epoch": stamp["epoch"] ?? .null, "lsn": stamp["lsn"] ?? .null, "deps": deps])
                guard response["result"] == ["registered": true, "valid": true] else {
                    ledger.withLock { $0.problems.append("register \(entry): \(response.jsonString)") }
                    return
                }
                ledger.withLock { $0.names.append(entry) }
                progress.yield()
                if let earlier = ledger.withLock({ $0.names.randomElement(using: &random) }) {
                    let check = try await client.result("check", ["name": .string(earlier)])
                    if check != ["valid": true] {
                        ledger.withLock { $0.problems.append("check \(earlier): \(check.jsonString)") }
                    }
                }
            }
        }
    }

    /// A live watch: its events must be gap-free, and each must name a record that is still
    /// in the log after the crash (nothing is published before it is durable).
    static func watcher(_ socket: String, ledger: LockedBox<Ledger>) async {
        try? await LineClient.with(socket) { client in
            try await client.send(Fault.line(1, "watch"))
            var last: Int64?
            while let line = await client.nextLine() {
                let message = try JSONParser.parse(line)
                if message["id"] != nil {
                    guard let start = message["result"]?["lsn"]?.int64Value else {
                        ledger.withLock { $0.problems.append("watch: \(message.jsonString)") }
                        return
                    }
                    if last == nil { last = start }
                    continue
                }
                guard message["method"] == "watch.event", let record = message["params"]?["record"]?.objectValue,
                    let lsn = record.lsn, let kind = record.kind
                else {
                    ledger.withLock { $0.problems.append("watch notification: \(message.jsonString)") }
                    return
                }
                if let previous = last, lsn != previous + 1 {
                    ledger.withLock { $0.problems.append("watch gap or duplicate: \(previous) then \(lsn)") }
                }
                last = lsn
                ledger.withLock { $0.watched.append((lsn, kind, record.intent)) }
            }
        }
    }

    /// Compares a restarted server against everything acknowledged so far.
    static func checkInvariants(_ client: LineClient, _ ledger: Ledger, round: Int) async throws {
        let hello = try await client.result("hello")
        let lsn = try #require(hello["lsn"]?.int64Value)
        let epoch = try #require(hello["epoch"])
        #expect(lsn >= ledger.highestAcknowledged, "round \(round): lsn \(lsn) is below an acknowledged LSN")
        // Short leases may expire while this runs: judge the log as of `lsn`.
        let records = try await Fault.log(client, through: lsn).filter { ($0.lsn ?? 0) <= lsn }
        #expect(records.compactMap(\.lsn) == (lsn == 0 ? [] : Array(1...lsn)),
                "round \(round): LSNs dense from 1 (nothing compacts here) to \(lsn)")
        var byLSN: [Int64: JSONObject] = [:]
        var writtenKeys: [String: Int] = [:]
        var intentKinds: [String: [(kind: String, lsn: Int64)]] = [:]
        for record in records {
            guard let recordLSN = record.lsn, let kind = record.kind else { continue }
            byLSN[recordLSN] = record
            if let intent = record.intent { intentKinds[intent, default: []].append((kind, recordLSN)) }
            if kind == "write" {
                for change in record["changes"]?.arrayValue ?? [] {
                    for key in change["keys"]?.arrayValue?.compactMap(\.stringValue) ?? [] { writtenKeys[key, default: 0] += 1 }
                }
            }
        }
        for write in ledger.writes {
            let record = byLSN[write.lsn]
            #expect(record?.kind == "write" && record?["changes"] == [["table": "crash", "keys": [.string(write.key)]]],
                    "round \(round): acknowledged write \(write.key) at \(write.lsn): \(record.map { JSONValue.object($0).jsonString } ?? "missing")")
            #expect(writtenKeys[write.key] == 1, "round \(round): \(write.key) logged \(writtenKeys[write.key] ?? 0) times")
        }
        #expect(writtenKeys.values.allSatisfy { $0 == 1 }, "round \(round): no write is logged twice")
        for (intent, begun) in ledger.intents {
            let kinds = intentKinds[intent] ?? []
            #expect(kinds.first?.kind == "begin" && kinds.first?.lsn == begun.lsn && kinds.count <= 2,
                    "round \(round): intent \(intent) begun at \(begun.lsn) has records \(kinds)")
            if !ledger.closeSent.contains(intent) {
                #expect(kinds.count == 1 || kinds.last?.kind == "expire",
                        "round \(round): intent \(intent) that nobody closed is \(kinds.last?.kind ?? "gone")")
            }
        }
        for commit in ledger.commits {
            #expect(intentKinds[commit.intent]?.last.map { $0.kind == "commit" && $0.lsn == commit.lsn } == true,
                    "round \(round): acknowledged commit of \(commit.intent) at \(commit.lsn)")
        }
        for abort in ledger.aborts {
            #expect(intentKinds[abort.intent]?.last.map { $0.kind == "abort" && $0.lsn == abort.lsn } == true,
                    "round \(round): acknowledged abort of \(abort.intent) at \(abort.lsn)")
        }
        for refusal in ledger.refusals {
            let closing = intentKinds[refusal.intent]?.dropFirst().first?.kind
            #expect(closing == ["expired": "expire", "committed": "commit", "aborted": "abort"][refusal.state],
                    "round \(round): -32003 \(refusal.state) for \(refusal.intent), log says \(closing ?? "open")")
        }
        for event in ledger.watched {
            let record = byLSN[event.lsn]
            #expect(record?.kind == event.kind && record?.intent == event.intent,
                    "round \(round): watched record \(event.lsn) (\(event.kind)) is not in the log as seen")
        }

        // Open intents with long leases: still open (pending). Short ones may be expiring now.
        let open = ledger.intents.filter { $0.value.long && intentKinds[$0.key]?.count == 1 }
        let stats = try await client.result("stats")
        #expect((stats["open_intents"]?.int64Value ?? 0) >= Int64(open.count), "round \(round): open intents vanished")
        for chunk in Array(open.values).chunked(1000) {
            let entries = chunk.map { intent -> JSONValue in
                ["epoch": epoch, "lsn": .integer(lsn), "deps": [["table": "intents", "key": .string(intent.key)]]]
            }
            let results = try await client.result("check", ["entries": .array(entries)])["results"]?.arrayValue ?? []
            #expect(results.count == chunk.count && results.allSatisfy { $0["reason"] == "pending" },
                    "round \(round): an open intent no longer covers its key")
        }

        // Versions: each key reads as the LSN of the record that last advanced it.
        var expected: [(dep: JSONValue, version: Int64)] = ledger.writes.map {
            (["table": "crash", "key": .string($0.key)], $0.lsn)
        }
        for (intent, begun) in ledger.intents {
            let closing = intentKinds[intent]?.dropFirst().first
            if closing == nil && !begun.long { continue }
            let version = closing.map { $0.kind == "abort" ? 0 : $0.lsn } ?? 0
            expected.append((["table": "intents", "key": .string(begun.key)], version))
        }
        for chunk in expected.chunked(1000) {
            let stamp = try await client.result("stamp", ["deps": .array(chunk.map(\.dep))])
            #expect(stamp["versions"]?.arrayValue?.compactMap(\.int64Value) == chunk.map(\.version),
                    "round \(round): versions differ from the log")
        }
        let highestWrite = ledger.writes.map(\.lsn).max() ?? 0
        let table = try await client.result("stamp", ["deps": [["table": "crash"]]])
        #expect((table["versions"]?.arrayValue?.first?.int64Value ?? 0) >= highestWrite, "round \(round): ver(crash) went back")

        for chunk in ledger.names.chunked(1000) {
            let results = try await client.result(
                "check", ["entries": .array(chunk.map { ["name": .string($0)] })])["results"]?.arrayValue ?? []
            #expect(results.count == chunk.count && results.allSatisfy { $0 == ["valid": true] },
                    "round \(round): an acknowledged name was lost")
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
