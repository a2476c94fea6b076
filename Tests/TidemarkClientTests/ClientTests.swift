import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("TidemarkClient against a real server", .timeLimit(.minutes(1)))
struct ClientTests {
    @Test func helloDescribesTheServer() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let hello = try await client.hello()
            #expect(hello.server == "tidemark")
            #expect(hello.protocolVersion == 1)
            #expect(hello.lsn == 0)
            #expect(hello.epoch == server.application.store.epoch)
            #expect(hello.limit("max_line_bytes") == 1_048_576)
            try await client.ping()
            await client.close()
        }
    }

    @Test func aWriteIsSeenByStampAndCheck() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let before = try await client.stamp([Dep(table: "users", key: "42")])
            #expect(before.lsn == 0 && before.versions == [0] && before.cacheable)

            let written = try await client.write([Change(table: "users", keys: ["42", "43"])], meta: ["by": "test"])
            #expect(written.lsn == 1)
            #expect(written.epoch == before.epoch)

            let after = try await client.stamp([Dep(table: "users", key: "42"), Dep(table: "users", key: "7"), Dep(table: "users")])
            #expect(after.lsn == 1)
            #expect(after.versions == [1, 0, 1])

            let stale = try await client.check(stamp: Stamp(epoch: before.epoch, lsn: before.lsn), deps: [Dep(table: "users", key: "42")])
            #expect(stale.reason == .changed)
            #expect(stale.changed == [VersionedDep(dep: Dep(table: "users", key: "42"), version: 1)])
            let fresh = try await client.check(stamp: Stamp(epoch: after.epoch, lsn: after.lsn), deps: [Dep(table: "users", key: "42")])
            #expect(fresh.isValid)
            let unrelated = try await client.check(stamp: Stamp(epoch: before.epoch, lsn: 0), deps: [Dep(table: "users", key: "7")])
            #expect(unrelated.isValid)
            await client.close()
        }
    }

    @Test func namedEntriesAndIntents() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let stamp = try await client.stamp([Dep(table: "users", key: "1")])
            let registered = try await client.register(
                name: "page-1", stamp: Stamp(epoch: stamp.epoch, lsn: stamp.lsn), deps: [Dep(table: "users", key: "1")])
            #expect(registered == RegisterMethod.Result(registered: true, valid: true))
            #expect(try await client.check(name: "page-1").isValid)

            let intent = try await client.begin([Change(table: "users", keys: ["1"])], ttlMs: 60_000)
            #expect(intent.lsn == 1)
            let checks = try await client.check(entries: [.name("page-1"), .name("never-registered")])
            #expect(checks.map(\.reason) == [.pending, .unknown])
            #expect(try await client.stamp([Dep(table: "users", key: "1")]).cacheable == false)

            let committed = try await client.commit(intent: intent.intent)
            #expect(committed.lsn == 2)
            #expect(committed.invalidated == ["page-1"])
            #expect(try await client.check(name: "page-1").reason == .unknown)

            let second = try await client.begin([Change(table: "orders")])
            #expect(try await client.abort(intent: second.intent) == 4)
            await client.close()
        }
    }

    @Test func readLogPagesUntilTheLimitOrTheEnd() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            for index in 1...5 { _ = try await client.write([Change(table: index.isMultiple(of: 2) ? "even" : "odd")]) }

            var pages: [[LSN]] = []
            let count = try await client.readLog(limit: 3) { pages.append($0.map(\.lsn)) }
            #expect(count == 3)
            #expect(pages.flatMap { $0 } == [1, 2, 3])

            var rest: [LSN] = []
            try await client.readLog(from: 4, limit: 100) { rest += $0.map(\.lsn) }
            #expect(rest == [4, 5])

            var odd: [LSN] = []
            try await client.readLog(tables: ["odd"], limit: 100) { odd += $0.map(\.lsn) }
            #expect(odd == [1, 3, 5])

            let page = try await client.log(LogMethod.Params(from: 2, limit: 2))
            #expect(page.records.map(\.lsn) == [2, 3])
            #expect(page.next == 4)
            #expect(page.records.first?.changes == [Change(table: "even")])

            #expect(try await client.compact(before: 3) == 3)
            let stats = try await client.stats()
            #expect(stats["lsn"]?.uint64Value == 5)
            #expect(stats["oldest"]?.uint64Value == 3)
            await client.close()
        }
    }

    @Test func watchDeliversReplayedAndLiveRecords() async throws {
        try await TestServer.run { server in
            let watcher = try await server.connect()
            let writer = try await server.connect()
            _ = try await writer.write([Change(table: "users", keys: ["1"])])
            _ = try await writer.write([Change(table: "orders")])
            let watch = try await watcher.watch(from: 1, tables: ["users"])
            #expect(watch.lsn == 2)
            _ = try await writer.write([Change(table: "users", keys: ["2"])])

            var events: [WatchEvent] = []
            for await notification in watcher.notifications {
                guard let event = try WatchEvent(notification) else { continue }
                events.append(event)
                if events.count == 2 { break }
            }
            #expect(events.map(\.watch) == [watch.watch, watch.watch])
            #expect(events.map(\.record.lsn) == [1, 3])
            #expect(events.last?.record.changes == [Change(table: "users", keys: ["2"])])
            try await watcher.unwatch(watch.watch)
            await watcher.close()
            await writer.close()
        }
    }

    @Test func aHundredConcurrentCallsOnOneClientAreEachAnsweredCorrectly() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let written = try await withThrowingTaskGroup(of: (Int, LSN).self) { group in
                for index in 0..<100 {
                    group.addTask { (index, try await client.write([Change(table: "t\(index)")]).lsn) }
                }
                return try await group.reduce(into: [Int: LSN]()) { $0[$1.0] = $1.1 }
            }
            #expect(Set(written.values) == Set(1...100))
            // Each table has its own version, so an answer delivered to the wrong caller shows.
            let stamped = try await withThrowingTaskGroup(of: (Int, LSN).self) { group in
                for index in 0..<100 {
                    group.addTask { (index, try await client.stamp([Dep(table: "t\(index)")]).versions[0]) }
                }
                return try await group.reduce(into: [Int: LSN]()) { $0[$1.0] = $1.1 }
            }
            #expect(stamped == written)
            await client.close()
        }
    }

    @Test func serverErrorsCarryTheirRPCError() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let emptyTable = await #expect(throws: TidemarkClientError.self) {
                try await client.write([Change(table: "")])
            }
            #expect(emptyTable?.code == .server)
            #expect(emptyTable?.rpcError?.code == RPCError.Code.invalidParams)
            #expect(emptyTable?.rpcError?.data?["field"] == "changes[0].table")

            let unknownMethod = await #expect(throws: TidemarkClientError.self) {
                try await client.call("no.such.method")
            }
            #expect(unknownMethod?.rpcError?.code == RPCError.Code.methodNotFound)

            let unknownIntent = await #expect(throws: TidemarkClientError.self) {
                try await client.commit(intent: "not-an-intent")
            }
            #expect(unknownIntent?.rpcError?.code == RPCError.Code.unknownIntent)
            #expect(unknownIntent?.rpcError?.data?["state"] == "unknown")

            // A bad request leaves the connection usable.
            #expect(try await client.write([Change(table: "ok")]).lsn == 1)
            await client.close()
        }
    }

    @Test func callsAfterTheServerStopsFailWithConnectionClosed() async throws {
        let (client, running) = try await TestServer.run { server in
            let client = try await server.connect()
            try await client.ping()
            let running = try await server.connect()
            // Answered, so the server has accepted it before it shuts down.
            try await running.ping()
            return (client, running)
        }
        // The server has shut down and its connections are gone.
        let error = await #expect(throws: TidemarkClientError.self) { try await client.ping() }
        #expect(error?.code == .connectionClosed)
        let other = await #expect(throws: TidemarkClientError.self) { try await running.hello() }
        #expect(other?.code == .connectionClosed)
        // The notification stream ends with the connection.
        for await _ in client.notifications {}
        await client.close()
        await running.close()
    }

    @Test func callsAfterCloseFailWithConnectionClosed() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            try await client.ping()
            await client.close()
            let error = await #expect(throws: TidemarkClientError.self) { try await client.ping() }
            #expect(error?.code == .connectionClosed)
        }
    }

    @Test func connectingWhereNoServerListensFails() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let error = await #expect(throws: TidemarkClientError.self) {
            try await TidemarkClient.connect(socketPath: directory.appending("absent.sock"))
        }
        #expect(error?.code == .connectionFailed)
    }
}
