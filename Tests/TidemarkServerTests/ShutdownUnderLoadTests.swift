import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// SIGTERM while 20 clients pipeline writes. Every request must end one of three ways:
/// answered with a result (and then durable), answered -32006 (and then not applied), or
/// left unanswered when the connection closes, which is only allowed for requests the
/// server never read (so never applied). Answers stay well-formed and in order.
@Suite("Graceful shutdown under load", .serialized, .timeLimit(.minutes(2)))
struct ShutdownUnderLoadTests {
    /// One connection's story.
    struct Story: Sendable {
        var sent: [(id: Int64, key: String)] = []
        var acknowledged: [(key: String, lsn: Int64)] = []
        var refused: [String] = []
        var malformed: [String] = []
        var answered = 0
    }

    /// With the default grace period requests arriving after SIGTERM are refused -32006;
    /// with 1 ms reading stops almost at once, so requests in flight are never read.
    @Test(arguments: ["500ms", "1ms"])
    func everyRequestIsAnsweredRefusedOrNeverReadAndNothingAcknowledgedIsLost(grace: String) async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: ["--shutdown-grace", grace])
        let (progress, progressSink) = AsyncStream.makeStream(of: Void.self)
        let terminateAfter = 300
        let exitStatus = LockedBox<Int32?>(nil)
        let stories = try await withThrowingTaskGroup(of: Story?.self) { group in
            for client in 0..<20 {
                group.addTask { await Self.client(directory.socketPath, number: client, progress: progressSink) }
            }
            group.addTask {
                var count = 0
                for await _ in progress {
                    count += 1
                    if count == terminateAfter { break }
                }
                let status = await server.terminate()
                exitStatus.withLock { $0 = status }
                return nil
            }
            var stories: [Story] = []
            for try await story in group { if let story { stories.append(story) } }
            return stories
        }
        progressSink.finish()
        #expect(exitStatus.withLock { $0 } == 0, "SIGTERM is a clean exit under load")

        let acknowledged = stories.flatMap(\.acknowledged)
        let refused = stories.flatMap(\.refused)
        let unanswered = stories.flatMap { $0.sent.dropFirst($0.answered).map(\.key) }
        #expect(stories.allSatisfy { $0.malformed.isEmpty }, "\(stories.flatMap(\.malformed).prefix(10))")
        #expect(acknowledged.count >= terminateAfter)

        let verify = try await Fault.verify(dataPath: directory.dataPath)
        #expect(verify.status == 0, "\(verify.output)")
        let restarted = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        try await LineClient.with(directory.socketPath) { client in
            try await Self.checkLog(client, acknowledged: acknowledged, refused: refused, unanswered: unanswered)
        }
        print(
            "shutdown under load (grace \(grace)): \(acknowledged.count) acknowledged, \(refused.count) refused -32006,",
            "\(unanswered.count) unanswered (never read) of \(stories.map(\.sent.count).reduce(0, +)) sent by 20 clients")
        #expect(await restarted.terminate() == 0)
    }

    /// After the restart: the log holds exactly the acknowledged writes, at their LSNs.
    static func checkLog(
        _ client: LineClient, acknowledged: [(key: String, lsn: Int64)], refused: [String], unanswered: [String]
    ) async throws {
        let lsn = try #require(try await client.result("hello")["lsn"]?.int64Value)
        let records = try await Fault.log(client, through: lsn)
        #expect(records.compactMap(\.lsn) == Array(1...lsn), "LSNs dense")
        var logged: [String: [Int64]] = [:]
        for record in records {
            for change in record["changes"]?.arrayValue ?? [] {
                for key in change["keys"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                    logged[key, default: []].append(record.lsn ?? 0)
                }
            }
        }
        for (key, lsn) in acknowledged {
            #expect(logged[key] == [lsn], "acknowledged \(key) at \(lsn) is logged at \(logged[key] ?? [])")
        }
        let appliedRefusals = refused.filter { logged[$0] != nil }
        #expect(appliedRefusals.isEmpty, "answered -32006 yet applied: \(appliedRefusals.prefix(10))")
        let appliedUnanswered = unanswered.filter { logged[$0] != nil }
        #expect(appliedUnanswered.isEmpty, "applied but never answered: \(appliedUnanswered.prefix(10))")
        #expect(logged.count == acknowledged.count, "the log holds exactly the acknowledged writes")
    }

    /// Pipelines 1–3 writes of fresh keys and reads the answers, until the server refuses
    /// (then it only reads what is still coming) or the connection closes.
    static func client(_ socket: String, number: Int, progress: AsyncStream<Void>.Continuation) async -> Story {
        let story = LockedBox(Story())
        try? await LineClient.with(socket) { client in
            var id: Int64 = 0
            var refusedOnce = false
            while true {
                var text = ""
                var batch: [(id: Int64, key: String)] = []
                if !refusedOnce {
                    for _ in 0..<(1 + (Int(id) + number) % 3) {
                        id += 1
                        let key = "c\(number)-\(id)"
                        batch.append((id, key))
                        text += Fault.line(id, "write", ["changes": [["table": "t", "keys": [.string(key)]]]])
                    }
                    story.withLock { $0.sent += batch }
                    // A send into a connection the server already closed is not an answer;
                    // its requests simply stay unanswered.
                    try? await client.send(text)
                }
                while let expected = story.withLock({ $0.sent.dropFirst($0.answered).first }) {
                    let response = try await client.nextJSON()
                    let problem = Self.problem(in: response, expecting: expected.id)
                    story.withLock { story in
                        story.answered += 1
                        if let problem { story.malformed.append(problem) }
                        if let lsn = response["result"]?["lsn"]?.int64Value {
                            story.acknowledged.append((expected.key, lsn))
                        } else if response["error"]?["code"] == -32006 {
                            story.refused.append(expected.key)
                        }
                    }
                    if response["error"]?["code"] == -32006 { refusedOnce = true }
                    if response["result"] != nil { progress.yield() }
                }
                if refusedOnce { return }
            }
        }
        return story.withLock { $0 }
    }

    /// Nil when `response` is a well-formed answer to request `id`: a write result or -32006.
    static func problem(in response: JSONValue, expecting id: Int64) -> String? {
        guard let object = response.objectValue, object["jsonrpc"] == "2.0", object["id"] == .integer(id) else {
            return "out of order or malformed (expected id \(id)): \(response.jsonString)"
        }
        if let result = object["result"] {
            let ok = object["error"] == nil && result["lsn"]?.int64Value != nil && result["epoch"]?.stringValue?.count == 32
            return ok ? nil : "bad result: \(response.jsonString)"
        }
        let ok = object["error"]?["code"] == -32006 && object["error"]?["message"]?.stringValue != nil
        return ok ? nil : "unexpected error: \(response.jsonString)"
    }
}
