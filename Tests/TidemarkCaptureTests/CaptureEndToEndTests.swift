import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

/// Real processes only: a private PostgreSQL driven by `psql`, `tidemark serve` and
/// `tidemark capture postgres`.
@Suite("Capture from PostgreSQL", .serialized)
struct CaptureEndToEndTests {
    @Test func eachCommittedTransactionBecomesOneRecordOfItsRows() async throws {
        let fixture = try await CaptureFixture.make()
        try await fixture.postgres.psql("""
            CREATE TABLE items (id int PRIMARY KEY, name text);
            CREATE TABLE tags (item int, tag text, PRIMARY KEY (item, tag));
            CREATE TABLE notes (body text);
            ALTER TABLE notes REPLICA IDENTITY FULL;
            """)
        try await fixture.startServer()
        try await fixture.startCapture()
        let statements = [
            "INSERT INTO items VALUES (1, 'a'), (2, 'b')",
            "UPDATE items SET name = 'c' WHERE id = 1",
            "UPDATE items SET id = 3 WHERE id = 2",
            "DELETE FROM items WHERE id = 1",
            "BEGIN; INSERT INTO items VALUES (99, 'never'); ROLLBACK",
            "BEGIN; INSERT INTO items VALUES (10, 'x'); INSERT INTO tags VALUES (10, 'red'); INSERT INTO notes VALUES ('n'); COMMIT",
            "UPDATE items SET name = name",
            "TRUNCATE items",
            "UPDATE notes SET body = 'm'",
            "DELETE FROM tags",
        ]
        for statement in statements { try await fixture.postgres.psql(statement) }
        let records = try await fixture.waitForRecordCount(9)
        #expect(records.map(\.summary) == [
            "items:1,2", "items:1", "items:2,3", "items:1",
            #"items:10 notes(*) tags:["10","red"]"#,
            "items:10,3", "items(*)", "notes(*)", #"tags:["10","red"]"#,
        ])
        #expect(records.allSatisfy { $0.kind == .write })
        // The meta names the source, the commit LSN and the transaction id.
        let metas = records.compactMap(\.metaObject)
        #expect(metas.count == 9)
        #expect(metas.allSatisfy { $0["source"]?.stringValue == "postgres" && $0["xid"]?.uint64Value != nil })
        let positions = metas.compactMap { $0["lsn"]?.stringValue }.compactMap(Self.walPosition)
        let now = try #require(Self.walPosition(try await fixture.postgres.psql("SELECT pg_current_wal_lsn()")))
        #expect(positions.count == 9 && positions == positions.sorted() && positions.allSatisfy { $0 < now })
        #expect(fixture.capture?.isRunning == true)
    }

    @Test func everyTransactionIsRecordedExactlyOnceAcrossKill9OfTheCapture() async throws {
        let fixture = try await CaptureFixture.make()
        try await fixture.postgres.psql("CREATE TABLE events (id int PRIMARY KEY)")
        try await fixture.startServer()
        try await fixture.startCapture()
        let total = 10_000
        // 10,000 transactions, one row each, committed one after another inside PostgreSQL.
        let writer = try fixture.postgres.psqlProcess(
            "DO $$ BEGIN FOR i IN 1..\(total) LOOP INSERT INTO events VALUES (i); COMMIT; END LOOP; END $$")
        try await fixture.waitForRecords("a part of the stream") { $0.transactionCount >= 1500 }
        await fixture.killCapture()
        try await Task.sleep(for: .milliseconds(300))  // the stream goes on without a capture
        try await fixture.startCapture()
        // Killed again mid-stream, at a random point, to land inside the pipeline.
        try await fixture.waitForRecords("more of the stream") { $0.transactionCount >= 5000 }
        await fixture.killCapture()
        try await fixture.startCapture()
        #expect(await writer.waitForExit() == 0, "\(writer.outputText)")
        let records = try await fixture.waitForTransactions(total, seconds: 120)
        try await expectExactlyOnce(records, table: "events", ids: 1...total, fixture: fixture)
    }

    /// The capture feeding a server on the etcd backend: sourced writes there too record
    /// each transaction once across kill -9 of the capture.
    @Test func onTheEtcdBackendEveryTransactionIsRecordedExactlyOnceAcrossKill9() async throws {
        let cluster = try await EtcdCluster.start()
        do {
            let fixture = try await CaptureFixture.make()
            try await fixture.postgres.psql("CREATE TABLE events (id int PRIMARY KEY)")
            try await fixture.startServer(etcd: cluster.endpointList)
            try await fixture.startCapture()
            let total = 1_000
            let writer = try fixture.postgres.psqlProcess(
                "DO $$ BEGIN FOR i IN 1..\(total) LOOP INSERT INTO events VALUES (i); COMMIT; END LOOP; END $$")
            try await fixture.waitForRecords("a part of the stream") { $0.transactionCount >= 200 }
            await fixture.killCapture()
            try await fixture.startCapture()
            #expect(await writer.waitForExit() == 0, "\(writer.outputText)")
            let records = try await fixture.waitForTransactions(total, seconds: 120)
            // One etcd round per write cannot keep up with a loop of commits: the backlog
            // that builds goes into shared records.
            #expect(records.count < total, "\(records.count) records for \(total) transactions")
            try await expectExactlyOnce(records, table: "events", ids: 1...total, fixture: fixture, verifyData: false)
            await cluster.stop()
        } catch {
            await cluster.stop()
            throw error
        }
    }

    @Test func tidemarkKilledMidStreamLosesAndDuplicatesNothing() async throws {
        let fixture = try await CaptureFixture.make()
        try await fixture.postgres.psql("CREATE TABLE events (id int PRIMARY KEY)")
        try await fixture.startServer()
        try await fixture.startCapture()
        let total = 3000
        let writer = try fixture.postgres.psqlProcess(
            "DO $$ BEGIN FOR i IN 1..1500 LOOP INSERT INTO events VALUES (i); COMMIT; END LOOP; END $$")
        try await fixture.waitForRecords("a part of the stream") { $0.transactionCount >= 500 }
        await fixture.killServer()
        #expect(await writer.waitForExit() == 0, "\(writer.outputText)")
        // Committed while Tidemark is down: however far the capture had got when the server
        // died (on a loaded machine it may have caught up), these it can only record by
        // reconnecting.
        try await fixture.postgres.psql(
            "DO $$ BEGIN FOR i IN 1501..\(total) LOOP INSERT INTO events VALUES (i); COMMIT; END LOOP; END $$")
        try await fixture.startServer()
        let records = try await fixture.waitForTransactions(total, seconds: 120)
        try await expectExactlyOnce(records, table: "events", ids: 1...total, fixture: fixture)
        let capture = try #require(fixture.capture)
        #expect(await capture.waitForOutput("reconnecting", seconds: 10), "\(capture.outputText)")
    }

    @Test func aPostgresCrashAndRestartMidStream() async throws {
        let fixture = try await CaptureFixture.make()
        try await fixture.postgres.psql("CREATE TABLE events (id int PRIMARY KEY)")
        try await fixture.startServer()
        try await fixture.startCapture()
        let writer = try fixture.postgres.psqlProcess(
            "DO $$ BEGIN FOR i IN 1..3000 LOOP INSERT INTO events VALUES (i); COMMIT; END LOOP; END $$")
        try await fixture.waitForRecords("a part of the stream") { $0.transactionCount >= 300 }
        // Immediate: no checkpoint, so the slot's saved position falls back and PostgreSQL
        // sends again transactions Tidemark already has.
        try await fixture.postgres.restart(mode: "immediate")
        _ = await writer.waitForExit()  // ended by the crash
        try await fixture.postgres.psql("DO $$ BEGIN FOR i IN 100001..100500 LOOP INSERT INTO events VALUES (i); COMMIT; END LOOP; END $$")
        let committed = try await fixture.postgres.psql("SELECT id FROM events ORDER BY id").split(separator: "\n").compactMap { Int($0) }
        #expect(committed.count > 800)
        let records = try await fixture.waitForRecords("every committed row") { records in
            records.contains { $0.changes.contains { $0.keys?.contains("100500") == true } }
        }
        try await expectExactlyOnce(records, table: "events", ids: committed, fixture: fixture)
    }

    @Test func walLevelReplicaIsAClearErrorNamingIt() async throws {
        let fixture = try await CaptureFixture.make(walLevel: "replica")
        try await fixture.startServer()
        let capture = try fixture.launchCapture()
        #expect(await capture.waitForExit() == 1)
        // The exit can be seen before the pipe's last bytes are read.
        let output = await capture.finalOutput()
        #expect(output.contains("wal_level = logical"), "\(output)")
    }

    @Test func aTableWithoutAReplicaIdentityStopsPublicationCreation() async throws {
        let fixture = try await CaptureFixture.make()
        try await fixture.postgres.psql("CREATE TABLE loose (x int)")
        try await fixture.startServer()
        let capture = try fixture.launchCapture()
        #expect(await capture.waitForExit() == 1)
        let output = await capture.finalOutput()
        #expect(output.contains("public.loose") && output.contains("REPLICA IDENTITY FULL"), "\(output)")
        #expect(try await fixture.postgres.psql("SELECT count(*) FROM pg_publication") == "0")
        // Left out with --tables, it is no obstacle.
        try await fixture.postgres.psql("CREATE TABLE kept (id int PRIMARY KEY)")
        try await fixture.startCapture(["--tables", "kept"])
        try await fixture.postgres.psql("INSERT INTO kept VALUES (1); INSERT INTO loose VALUES (1)")
        #expect(try await fixture.waitForRecordCount(1).map(\.summary) == ["kept:1"])
    }

    @Test func passwordsOverTCPTheTableFilterAndDroppingTheSlot() async throws {
        let fixture = try await CaptureFixture.make()
        try await fixture.postgres.psql("""
            CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);
            CREATE ROLE capture LOGIN REPLICATION PASSWORD 'se cret';
            CREATE PUBLICATION only_a FOR TABLE a, b;
            """)
        try await fixture.startServer()
        let dsn = "postgresql://capture:se%20cret@127.0.0.1:\(fixture.postgres.port)/postgres"
        let capture = try fixture.launchCapture(["--slot", "other", "--publication", "only_a", "--tables", "a"], dsn: dsn)
        #expect(await capture.waitForOutput("streaming"), "\(capture.outputText)")
        try await fixture.postgres.psql("INSERT INTO b VALUES (1); INSERT INTO a VALUES (7)")
        #expect(try await fixture.waitForRecordCount(1).map(\.summary) == ["a:7"])
        #expect(await capture.terminate() == 0)
        #expect(try await fixture.postgres.psql("SELECT slot_name FROM pg_replication_slots") == "other")
        let drop = try fixture.launchCapture(["--slot", "other", "--drop-slot"], dsn: dsn)
        #expect(await drop.waitForExit() == 0, "\(drop.outputText)")
        #expect(try await fixture.postgres.psql("SELECT count(*) FROM pg_replication_slots") == "0")
        let wrong = try fixture.launchCapture(["--slot", "other"], dsn: "postgresql://capture:nope@127.0.0.1:\(fixture.postgres.port)/postgres")
        #expect(await wrong.waitForExit() == 1)
        let wrongOutput = await wrong.finalOutput()
        #expect(wrongOutput.contains("password authentication failed"), "\(wrongOutput)")
    }

    @Test func hugeTransactionsDDLAndDroppedTablesNeverStopTheStream() async throws {
        let fixture = try await CaptureFixture.make(captureArguments: ["--max-keys", "100"])
        try await fixture.postgres.psql("CREATE TABLE big (id int PRIMARY KEY, v text); CREATE TABLE gone (id int PRIMARY KEY)")
        try await fixture.startServer()
        try await fixture.startCapture()
        try await fixture.postgres.psql("INSERT INTO big SELECT g, 'x' FROM generate_series(1, 20000) g")
        try await fixture.postgres.psql("INSERT INTO gone VALUES (1)")
        try await fixture.postgres.psql("DROP TABLE gone")
        try await fixture.postgres.psql("ALTER TABLE big ADD COLUMN w int DEFAULT 0")
        try await fixture.postgres.psql("ALTER TABLE big DROP CONSTRAINT big_pkey")
        try await fixture.postgres.psql("ALTER TABLE big REPLICA IDENTITY FULL")
        try await fixture.postgres.psql("UPDATE big SET w = 1 WHERE id = 5")
        try await fixture.postgres.psql("ALTER TABLE big ADD PRIMARY KEY (id); ALTER TABLE big REPLICA IDENTITY DEFAULT")
        try await fixture.postgres.psql("UPDATE big SET w = 2 WHERE id = 6")
        let records = try await fixture.waitForRecordCount(4)
        #expect(records.map(\.summary) == ["big(*)", "gone:1", "big(*)", "big:6"])
        #expect(fixture.capture?.isRunning == true)
    }

    /// On etcd one write names at most `max_write_tables` (61) tables: a transaction over
    /// more is recorded as the global wide change instead of refused, and the stream goes on.
    @Test func onTheEtcdBackendATransactionOverTheWriteTableLimitIsRecordedWide() async throws {
        let cluster = try await EtcdCluster.start()
        do {
            let fixture = try await CaptureFixture.make()
            try await fixture.postgres.psql(
                "DO $$ BEGIN FOR i IN 1..70 LOOP EXECUTE format('CREATE TABLE w%s (id int PRIMARY KEY)', i); END LOOP; END $$")
            try await fixture.startServer(etcd: cluster.endpointList)
            try await fixture.startCapture()
            try await fixture.postgres.psql(
                "DO $$ BEGIN FOR i IN 1..70 LOOP EXECUTE format('INSERT INTO w%s VALUES (1)', i); END LOOP; END $$")
            try await fixture.postgres.psql(
                "DO $$ BEGIN FOR i IN 1..61 LOOP EXECUTE format('INSERT INTO w%s VALUES (2)', i); END LOOP; END $$")
            try await fixture.postgres.psql("INSERT INTO w1 VALUES (3)")
            let records = try await fixture.waitForRecordCount(3)
            #expect(records.map(\.summary) == [
                "tidemark_django.all(*)", (1...61).map { "w\($0)" }.sorted().map { "\($0):2" }.joined(separator: " "), "w1:3",
            ])
            #expect(fixture.capture?.isRunning == true)
            await fixture.killServer()
            await cluster.stop()
        } catch {
            await cluster.stop()
            throw error
        }
    }

    /// Each id in exactly one record, every transaction counted once, positions increasing, and
    /// Tidemark's data clean.
    private func expectExactlyOnce(
        _ records: [Record], table: String, ids: some Sequence<Int>, fixture: CaptureFixture, verifyData: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        var counts: [String: Int] = [:]
        for record in records {
            for change in record.changes where change.table == table {
                for key in change.keys ?? ["(wide)"] { counts[key, default: 0] += 1 }
            }
        }
        let expected = Set(ids.map(String.init))
        let missing = expected.subtracting(counts.keys)
        let twice = counts.filter { $0.value > 1 }.keys
        let unexpected = Set(counts.keys).subtracting(expected)
        #expect(missing.isEmpty, "missing: \(missing.sorted().prefix(20))", sourceLocation: sourceLocation)
        #expect(twice.isEmpty, "recorded twice: \(twice.sorted().prefix(20))", sourceLocation: sourceLocation)
        #expect(unexpected.isEmpty, "not committed: \(unexpected.sorted().prefix(20))", sourceLocation: sourceLocation)
        #expect(records.transactionCount == expected.count, sourceLocation: sourceLocation)
        let positions = records.compactMap { $0.metaObject?["lsn"]?.stringValue }.compactMap(Self.walPosition)
        #expect(positions == positions.sorted() && Set(positions).count == positions.count, sourceLocation: sourceLocation)
        await fixture.killServer()
        guard verifyData else { return }
        let verify = try await PostgresServer.run(ChildProcess.tidemarkBinary, ["verify", "--data", fixture.directory.dataPath])
        #expect(verify.hasPrefix("ok"), "\(verify)", sourceLocation: sourceLocation)
    }

    private static func walPosition(_ text: String) -> UInt64? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        return high << 32 | low
    }
}
