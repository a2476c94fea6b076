import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("Text for people")
struct FormattingTests {
    @Test func isoTimes() {
        #expect(TimeFormat.iso8601(0) == "1970-01-01T00:00:00.000Z")
        #expect(TimeFormat.iso8601(951_782_400_123) == "2000-02-29T00:00:00.123Z")
        #expect(TimeFormat.iso8601(1_709_210_096_789) == "2024-02-29T12:34:56.789Z")
        #expect(TimeFormat.iso8601(4_102_444_799_999) == "2099-12-31T23:59:59.999Z")
    }

    @Test func sizes() throws {
        #expect(try ByteSizeSyntax.parse("16GiB") == 16 << 30)
        #expect(try ByteSizeSyntax.parse("64MiB") == 64 << 20)
        #expect(try ByteSizeSyntax.parse("64 mib") == 64 << 20)
        #expect(try ByteSizeSyntax.parse("512K") == 512 << 10)
        #expect(try ByteSizeSyntax.parse("2GB") == 2_000_000_000)
        #expect(try ByteSizeSyntax.parse("1048576") == 1_048_576)
        for bad in ["", "GiB", "12XB", "0", "-1GiB", "99999999999TiB"] {
            #expect(throws: TidemarkClientError.self) { try ByteSizeSyntax.parse(bad) }
        }
        #expect(ByteSizeSyntax.format(135_168) == "132 KiB")
        #expect(ByteSizeSyntax.format(16 << 30) == "16 GiB")
        #expect(ByteSizeSyntax.format(1536) == "1.5 KiB")
        #expect(ByteSizeSyntax.format(12) == "12 B")
    }

    @Test func logTable() {
        let records = [
            Record(
                lsn: 9, time: 0, kind: .write,
                changes: [Change(table: "users", keys: ["42", "43"]), Change(table: "orders")],
                meta: Array(#"{"by":"cli"}"#.utf8), peer: Peer(pid: 4242, uid: 1000, gid: 1000)),
            Record(
                lsn: 10, time: 1000, kind: .begin, changes: [Change(table: "users", keys: ["1"])], intent: "abc",
                peer: Peer(pid: 1, uid: 0, gid: 0)),
        ]
        #expect(LogTable.render(records) == """
            LSN  TIME                      KIND   PEER       CHANGES                INTENT  META
            9    1970-01-01T00:00:00.000Z  write  4242/1000  users:42,43 orders(*)  -       {"by":"cli"}
            10   1970-01-01T00:00:01.000Z  begin  1/0        users:1                abc     -
            """)
    }

    @Test func results() {
        let epoch = Epoch(high: 1, low: 2)
        #expect(ReadableText.write(WriteMethod.Result(epoch: epoch, lsn: 42, invalidated: ["a", "b"]))
            == "lsn 42 (epoch 00000000000000010000000000000002)\ninvalidated a\ninvalidated b")
        #expect(ReadableText.stamp(
            StampResult(epoch: epoch, lsn: 5, versions: [3, 0], cacheable: true),
            deps: [Dep(table: "users", key: "42"), Dep(table: "orders")]) == """
            epoch 00000000000000010000000000000002
            lsn 5
            cacheable yes
            users:42  version 3
            orders    version 0
            """)
        #expect(ReadableText.validity(.valid) == "valid")
        let invalid = Validity(
            reason: .changed, changed: [VersionedDep(dep: Dep(table: "users", key: "1"), version: 7)],
            pending: [Dep(table: "orders")])
        #expect(ReadableText.validity(invalid) == """
            not valid: changed (a dependency was written after the stamp)
            changed users:1 (version 7)
            pending orders
            """)
        #expect(ReadableText.stats(["lsn": 4, "used_bytes": 2048, "uptime_ms": 61_000, "sync": "full", "nested": ["a": true]]) == """
            lsn         4
            used_bytes  2048 (2 KiB)
            uptime_ms   61000 (1m1s)
            sync        full
            nested.a    true
            """)
    }
}

@Suite("The growing log table of log --follow")
struct LogTableWriterTests {
    let records = [
        Record(
            lsn: 9, time: 0, kind: .write, changes: [Change(table: "users", keys: ["42", "43"])],
            peer: Peer(pid: 4242, uid: 1000, gid: 1000)),
        Record(lsn: 10, time: 1000, kind: .begin, changes: [Change(table: "t")], intent: "abc", peer: Peer(pid: 1, uid: 0, gid: 0)),
    ]

    @Test func theFirstBatchIsTheSameTableAsLog() {
        var writer = LogTableWriter()
        #expect(writer.lines(records).joined(separator: "\n") == LogTable.render(records))
    }

    @Test func laterRowsKeepTheColumnsAndTheHeaderIsWrittenOnce() {
        var writer = LogTableWriter()
        #expect(writer.lines([]) == ["LSN  TIME  KIND  PEER  CHANGES  INTENT  META"])
        let first = writer.lines([records[0]])
        let second = writer.lines([records[1]])
        #expect(first == ["9    1970-01-01T00:00:00.000Z  write  4242/1000  users:42,43  -       -"])
        #expect(second == ["10   1970-01-01T00:00:01.000Z  begin  1/0        t(*)         abc     -"])
    }
}
