import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("Export and import", .timeLimit(.minutes(1)))
struct ExportTests {
    /// Writes a little of everything through a real server: keyed and wide writes, meta,
    /// and intents committed, aborted, expired and left open.
    private func populate(_ client: TidemarkClient) async throws {
        _ = try await client.write([Change(table: "users", keys: ["1", "2"])], meta: ["by": "test", "n": 1, "ok": true])
        _ = try await client.write([Change(table: "orders")])
        let committed = try await client.begin([Change(table: "users", keys: ["3"])], meta: ["tx": "a\"b\\c ü"])
        let aborted = try await client.begin([Change(table: "orders", keys: ["9"]), Change(table: "tags")])
        _ = try await client.begin([Change(table: "users", keys: ["2"])], ttlMs: 20)
        _ = try await client.commit(intent: committed.intent)
        _ = try await client.abort(intent: aborted.intent)
        _ = try await client.begin([Change(table: "tags", keys: ["status=open"])], meta: ["nested": ["x": [1, 2]]])
        try await Task.sleep(for: .milliseconds(100))
        // The next batch expires the intent whose 20 ms lease has ended.
        _ = try await client.write([Change(table: "users", keys: ["1"]), Change(table: "tags")])
    }

    /// Exports through the real code path into lines of text.
    private func export(_ client: TidemarkClient, from: LSN? = nil) async throws -> [String] {
        var lines: [String] = []
        try await client.exportLog(from: from, header: { lines.append(LogExport.text(.header($0))) }) { records in
            lines += records.map { LogExport.text(.record($0)) }
        }
        return lines
    }

    @Test func anExportIsTheLogInWireFormAndReadsBackEqual() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            try await populate(client)
            let store = server.application.store
            let original = try store.log(LogQuery(limit: 1000)).records
            #expect(Set(original.map(\.kind)) == Set(RecordKind.allCases))

            let lines = try await export(client)
            #expect(lines.count == original.count + 1)
            #expect(lines.allSatisfy { !$0.contains("\n") })
            let parsed = try lines.enumerated().compactMap { try LogExport.parse(Array($1.utf8), number: $0 + 1) }
            #expect(parsed.first == .header(LogExport.Header(epoch: store.epoch, oldest: 1, lsn: try store.currentLSN())))
            #expect(Array(parsed.dropFirst()) == original.map { .record($0) })
            // Each record line is exactly the record's wire form.
            #expect(Array(lines.dropFirst()) == original.map { JSONWriter.string($0.json) })

            // Record.json -> JSONWriter -> JSONParser -> Record(json:) is the identity.
            for record in original {
                let text = JSONWriter.bytes(record.json)
                #expect(try Record(json: try JSONParser.parse(text)) == record)
            }

            // From a later LSN, and nothing written after the export began.
            let tail = try await export(client, from: 4)
            #expect(tail.count == original.count - 3 + 1)
            await client.close()
        }
    }

    @Test func anExportFileImportsIntoAnEqualStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("export.ndjson")
        let (records, versions, deps) = try await TestServer.run { server in
            let client = try await server.connect()
            try await populate(client)
            let writer = try ExportFileWriter(path: file)
            try await client.exportLog(header: { try? writer.write([LogExport.text(.header($0))]) }) { records in
                try? writer.write(records.map { LogExport.text(.record($0)) })
            }
            try writer.finish()
            await client.close()
            let store = server.application.store
            let deps = ["users", "orders", "tags"].flatMap { table in
                [Dep(table: table)] + ["1", "2", "3", "9", "status=open", "zz"].map { Dep(table: table, key: $0) }
            }
            let stamp = try store.stamp(deps)
            return (try store.log(LogQuery(limit: 1000)).records, stamp, deps)
        }

        let reader = try ExportFileReader(path: file)
        var read: [Record] = []
        var header: LogExport.Header?
        while let line = try reader.next() {
            switch line {
            case .header(let value): header = value
            case .record(let record): read.append(record)
            }
        }
        #expect(header?.lsn == records.last?.lsn)
        #expect(read == records)

        var options = LMDBStore.Options()
        options.mapSize = 64 << 20
        options.durable = false
        let imported = try LMDBStore.openForImport(path: directory.appending("replay"), options: options)
        try imported.importRecords(read)
        let copy = try imported.stamp(deps)
        #expect(copy.lsn == versions.lsn)
        #expect(copy.versions == versions.versions)
        #expect(copy.cacheable == versions.cacheable)
        #expect(try imported.log(LogQuery(limit: 1000)).records == records)
        #expect(try imported.statistics().openIntents == 1)
    }

    @Test func badLinesAreRefusedNamingTheLine() throws {
        #expect(try LogExport.parse(Array("  \r".utf8), number: 1) == nil)
        let notJSON = try #require(throws: TidemarkClientError.self) { try LogExport.parse(Array("{".utf8), number: 7) }
        #expect(notJSON.message.contains("line 7"))
        #expect(throws: TidemarkClientError.self) { try LogExport.parse(Array(#"{"lsn":1}"#.utf8), number: 2) }
        let future = try #require(throws: TidemarkClientError.self) {
            try LogExport.parse(Array(#"{"tidemark_export":2}"#.utf8), number: 1)
        }
        #expect(future.message.contains("format 2"))
    }
}
