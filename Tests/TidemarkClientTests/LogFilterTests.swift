#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("Log filters", .timeLimit(.minutes(1)))
struct LogFilterTests {
    private static func record(
        _ lsn: LSN, kind: RecordKind = .write, _ changes: [Change], time: Milliseconds = 0,
        pid: Int32 = 10, uid: UInt32 = 1000
    ) -> Record {
        Record(lsn: lsn, time: time, kind: kind, changes: changes, peer: Peer(pid: pid, uid: uid, gid: 0))
    }

    private static let sample: [Record] = [
        record(1, [Change(table: "users", keys: ["42"])], time: 1000, pid: 10),
        record(2, [Change(table: "users", keys: ["7"])], time: 2000, pid: 11),
        record(3, [Change(table: "users")], time: 3000, pid: 10, uid: 0),
        record(4, kind: .begin, [Change(table: "orders", keys: ["1"])], time: 4000),
        record(5, kind: .abort, [Change(table: "orders", keys: ["1"])], time: 5000),
        record(6, [Change(table: "orders"), Change(table: "users", keys: ["42", "43"])], time: 6000, pid: 12),
    ]

    private func selected(_ filter: LogFilter) -> [LSN] {
        Self.sample.filter(filter.matches).map(\.lsn)
    }

    @Test func eachCriterionSelectsExactlyItsRecords() {
        #expect(selected(LogFilter()) == [1, 2, 3, 4, 5, 6])
        #expect(selected(LogFilter(tables: ["orders"])) == [4, 5, 6])
        // A key is changed by a change naming it, or by a wide change of its table.
        #expect(selected(LogFilter(keys: [Dep(table: "users", key: "42")])) == [1, 3, 6])
        #expect(selected(LogFilter(keys: [Dep(table: "users", key: "43")])) == [3, 6])
        #expect(selected(LogFilter(keys: [Dep(table: "orders", key: "1")])) == [4, 5, 6])
        // Tables and keys are alternatives; other criteria narrow them.
        #expect(selected(LogFilter(tables: ["orders"], keys: [Dep(table: "users", key: "7")])) == [2, 3, 4, 5, 6])
        #expect(selected(LogFilter(kinds: [.begin, .abort])) == [4, 5])
        #expect(selected(LogFilter(keys: [Dep(table: "orders", key: "1")], kinds: [.write])) == [6])
        #expect(selected(LogFilter(pid: 10)) == [1, 3, 4, 5])
        #expect(selected(LogFilter(uid: 0)) == [3])
        #expect(selected(LogFilter(fromLSN: 2, toLSN: 4)) == [2, 3, 4])
        #expect(selected(LogFilter(since: 2000, until: 5000)) == [2, 3, 4, 5])
        #expect(selected(LogFilter(tables: ["users"], pid: 10, since: 2000)) == [3])
        #expect(LogFilter(tables: ["users"], keys: [Dep(table: "users", key: "1"), Dep(table: "a", key: "b")]).serverTables
            == ["users", "a"])
        #expect(LogFilter(kinds: [.write]).serverTables == nil)
    }

    @Test func timesAreISOOrADurationAgo() throws {
        #expect(try TimeSyntax.parse("1970-01-01T00:00:00Z", now: 5) == 0)
        #expect(try TimeSyntax.parse("2024-02-29T12:34:56.789Z", now: 0) == 1_709_210_096_789)
        #expect(try TimeSyntax.parse("2024-02-29T12:34Z", now: 0) == 1_709_210_040_000)
        #expect(try TimeSyntax.parse("2024-02-29", now: 0) == 1_709_164_800_000)
        #expect(try TimeSyntax.parse("10m", now: 1_000_000) == 400_000)
        #expect(try TimeSyntax.parse("1h", now: 1000) == 0)
        for bad in ["", "2024-02-30", "2024-02-29T12:34:56", "2024-13-01T00:00Z", "yesterday", "10x"] {
            #expect(throws: TidemarkClientError.self) { try TimeSyntax.parse(bad, now: 0) }
        }
    }

    @Test func readingTheLogSelectsExactlyTheMatchingRecords() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            _ = try await client.write([Change(table: "users", keys: ["42"])])  // 1
            _ = try await client.write([Change(table: "users", keys: ["7"])])  // 2
            _ = try await client.write([Change(table: "orders", keys: ["1"])])  // 3
            _ = try await client.write([Change(table: "users")])  // 4: wide
            let intent = try await client.begin([Change(table: "users", keys: ["42"])], ttlMs: 60_000)  // 5
            _ = try await client.abort(intent: intent.intent)  // 6
            _ = try await client.write([Change(table: "products", keys: ["42"])])  // 7

            func read(_ filter: LogFilter, limit: Int = 100, pageSize: Int = 2) async throws -> [LSN] {
                var lsns: [LSN] = []
                try await client.readLog(filter: filter, limit: limit, pageSize: pageSize) { lsns += $0.map(\.lsn) }
                return lsns
            }
            #expect(try await read(LogFilter()) == [1, 2, 3, 4, 5, 6, 7])
            #expect(try await read(LogFilter(keys: [Dep(table: "users", key: "42")])) == [1, 4, 5, 6])
            #expect(try await read(LogFilter(keys: [Dep(table: "users", key: "42")], kinds: [.write])) == [1, 4])
            #expect(try await read(LogFilter(kinds: [.begin, .abort])) == [5, 6])
            #expect(try await read(LogFilter(tables: ["orders", "products"])) == [3, 7])
            #expect(try await read(LogFilter(fromLSN: 3, toLSN: 5)) == [3, 4, 5])
            #expect(try await read(LogFilter(keys: [Dep(table: "users", key: "42")]), limit: 2) == [1, 4])
            #expect(try await read(LogFilter(pid: getpid(), uid: getuid())) == [1, 2, 3, 4, 5, 6, 7])
            #expect(try await read(LogFilter(pid: getpid() &+ 1)) == [])
            let records = try await client.log().records
            #expect(try await read(LogFilter(since: records[3].time, until: records[3].time)).contains(4))
            #expect(try await read(LogFilter(since: records[6].time + 1)) == [])
            await client.close()
        }
    }
}
