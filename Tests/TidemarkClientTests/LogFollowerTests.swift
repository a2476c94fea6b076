import Synchronization
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("LogFollower: the log, then live, across restarts", .timeLimit(.minutes(1)))
struct LogFollowerTests {
    /// Quick retries, so a restart test does not wait out the CLI's 2 s ceiling.
    static let fast = LogFollower.Backoff(initial: .milliseconds(10), maximum: .milliseconds(200))

    @Test func aFollowerOnAnEmptyServerReceivesLaterRecordsInOrder() async throws {
        try await TestServer.run { server in
            let run = FollowerRun(LogFollower(socketPath: server.socketPath, backoff: Self.fast))
            #expect(await run.wait { $0.isCaughtUp })
            #expect(await run.log == [.caughtUp(next: 1)])

            let writer = try await server.connect()
            _ = try await writer.write([Change(table: "users", keys: ["1"])], meta: ["n": 1])
            _ = try await writer.write([Change(table: "orders")])
            let intent = try await writer.begin([Change(table: "users", keys: ["2"])])
            _ = try await writer.commit(intent: intent.intent)
            _ = try await writer.write([Change(table: "users", keys: ["3", "4"])])
            #expect(await run.waitForRecords(through: 5))

            let log = try await Self.wholeLog(writer)
            #expect(log.map(\.lsn) == [1, 2, 3, 4, 5])
            #expect(await run.delivered == log)
            // Nothing came as backlog: every record was live.
            #expect(await run.log.dropFirst().allSatisfy { if case .record = $0 { true } else { false } })
            #expect(await run.stop().isSuccess)
            await writer.close()
        }
    }

    @Test func backlogThenLiveWithATableFilter() async throws {
        try await TestServer.run { server in
            let writer = try await server.connect()
            for index in 1...6 { _ = try await writer.write([Change(table: index.isMultiple(of: 2) ? "even" : "odd")]) }
            let run = FollowerRun(LogFollower(socketPath: server.socketPath, from: 2, tables: ["odd"], backoff: Self.fast))
            #expect(await run.wait { $0.isCaughtUp })
            #expect(await run.delivered.map(\.lsn) == [3, 5])
            #expect(await run.log.last == .caughtUp(next: 7))
            for index in 7...10 { _ = try await writer.write([Change(table: index.isMultiple(of: 2) ? "even" : "odd")]) }
            #expect(await run.waitForRecords(through: 9))
            #expect(await run.delivered.map(\.lsn) == [3, 5, 7, 9])
            #expect(await run.stop().isSuccess)
            await writer.close()
        }
    }

    @Test func aFollowerSurvivesAServerRestartWithNoGapAndNoDuplicate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let follower = LogFollower(socketPath: directory.appending("tidemark.sock"), backoff: Self.fast)

        let run = try await TestServer.run(in: directory) { server in
            let writer = try await server.connect()
            for index in 1...3 { _ = try await writer.write([Change(table: "t", keys: ["\(index)"])]) }
            let run = FollowerRun(follower)
            #expect(await run.wait { $0.isCaughtUp })
            for index in 4...6 { _ = try await writer.write([Change(table: "t", keys: ["\(index)"])]) }
            #expect(await run.waitForRecords(through: 6))
            await writer.close()
            return run
        }
        // The server has stopped: the follower notices and keeps retrying.
        #expect(await run.wait { $0.isDisconnected })

        let log = try await TestServer.run(in: directory) { server in
            let writer = try await server.connect()
            for index in 7...12 { _ = try await writer.write([Change(table: "t", keys: ["\(index)"])]) }
            #expect(await run.waitForRecords(through: 12))
            let log = try await Self.wholeLog(writer)
            await writer.close()
            return log
        }
        #expect(log.map(\.lsn) == Array(1...12))
        let delivered = await run.delivered
        #expect(delivered.map(\.lsn) == log.map(\.lsn))
        #expect(delivered == log)
        #expect(await run.log.contains { $0.isReconnected })
        #expect(await run.stop().isSuccess)
    }

    @Test func startingBelowTheOldestRecordWarnsAndContinuesFromIt() async throws {
        try await TestServer.run { server in
            let writer = try await server.connect()
            for index in 1...20 { _ = try await writer.write([Change(table: "t", keys: ["\(index)"])]) }
            #expect(try await writer.compact(before: 11) == 11)
            let run = FollowerRun(LogFollower(socketPath: server.socketPath, from: 1, backoff: Self.fast))
            #expect(await run.wait { $0.isCaughtUp })
            #expect(await run.log.first == .compacted(from: 1, oldest: 11))
            #expect(await run.delivered.map(\.lsn) == Array(11...20))
            _ = try await writer.write([Change(table: "t")])
            #expect(await run.waitForRecords(through: 21))
            #expect(await run.delivered.map(\.lsn) == Array(11...21))
            #expect(await run.stop().isSuccess)
            await writer.close()
        }
    }

    @Test func theFirstConnectionFailingIsAnError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let follower = LogFollower(socketPath: directory.appending("absent.sock"), backoff: Self.fast)
        let error = await #expect(throws: TidemarkClientError.self) { try await follower.run { _ in } }
        #expect(error?.code == .connectionFailed)
    }

    @Test func anInvalidFilterIsAnErrorNotARetry() async throws {
        try await TestServer.run { server in
            let follower = LogFollower(socketPath: server.socketPath, tables: [""], backoff: Self.fast)
            let error = await #expect(throws: TidemarkClientError.self) { try await follower.run { _ in } }
            #expect(error?.rpcError?.code == RPCError.Code.invalidParams)
        }
    }

    /// `watch.lost` resumes at `lsn + 1` on the same connection; a -32004 there skips to
    /// `data.oldest`; replayed events that arrive before their `watch` response count.
    @Test func aLostWatchResumesAfterItsLastLSNAndACompactedResumeSkipsAhead() async throws {
        let watchFroms = Mutex<[JSONValue?]>([])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await FakeServer.start(socketPath: directory.appending("fake.sock")) { request in
            let params = request["params"] ?? .null
            switch request["method"]?.stringValue {
            case "hello":
                return .lines([FakeServer.result(Self.hello(lsn: 2), to: request)])
            case "log":
                let page = LogPage(records: [Self.record(1), Self.record(2)], next: 3, oldest: 1)
                return .lines([FakeServer.result(LogMethod.json(page), to: request)])
            case "watch":
                let count = watchFroms.withLock { froms in
                    froms.append(params["from"])
                    return froms.count
                }
                switch count {
                case 1:
                    // Records 4 and 5 do not match the filter: resume at 6, not 4.
                    return .lines([
                        FakeServer.result(WatchMethod.Result(watch: 1, lsn: 2).json, to: request),
                        Self.event(watch: 1, lsn: 3),
                        WatchMethod.lost(watch: 1, lsn: 5).json.jsonString,
                    ])
                case 2:
                    let compacted = RPCError(code: RPCError.Code.compacted, message: "compacted", data: ["oldest": 8])
                    return .lines([
                        RPCResponse(id: RPCID(json: request["id"] ?? .null) ?? .null, result: .failure(compacted))
                            .json.jsonString
                    ])
                default:
                    return .lines([
                        Self.event(watch: 2, lsn: 8),
                        FakeServer.result(WatchMethod.Result(watch: 2, lsn: 8).json, to: request),
                        // A repeat must not be delivered twice; another watch's event not at all.
                        Self.event(watch: 2, lsn: 8),
                        Self.event(watch: 1, lsn: 9),
                        Self.event(watch: 2, lsn: 10),
                    ])
                }
            default:
                return .lines([FakeServer.result([:], to: request)])
            }
        }
        let run = FollowerRun(LogFollower(socketPath: server.socketPath, tables: ["t"], backoff: Self.fast))
        #expect(await run.waitForRecords(through: 10))
        #expect(await run.log == [
            .backlog([Self.record(1), Self.record(2)]),
            .caughtUp(next: 3),
            .record(Self.record(3)),
            .compacted(from: 6, oldest: 8),
            .record(Self.record(8)),
            .record(Self.record(10)),
        ])
        #expect(watchFroms.withLock { $0 } == [3, 6, 8])
        #expect(await run.stop().isSuccess)
        await server.stop()
    }

    // MARK: Helpers

    static func wholeLog(_ client: TidemarkClient) async throws -> [Record] {
        var records: [Record] = []
        try await client.readLog(limit: 100_000) { records += $0 }
        return records
    }

    static func record(_ lsn: LSN) -> Record {
        Record(lsn: lsn, time: 1000 + lsn, kind: .write, changes: [Change(table: "t")], peer: Peer(pid: 1, uid: 2, gid: 3))
    }

    static func event(watch: UInt64, lsn: LSN) -> String {
        RPCNotification(
            method: RPCNotificationMethod.watchEvent,
            params: ["watch": JSONValue(watch), "record": record(lsn).json]
        ).json.jsonString
    }

    static func hello(lsn: LSN) -> JSONValue {
        [
            "server": "tidemark", "version": "test", "protocol": 1, "epoch": "0123456789abcdef0123456789abcdef",
            "lsn": JSONValue(lsn), "limits": [:],
        ]
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
