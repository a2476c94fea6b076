import Foundation
import Testing
@testable import TidemarkStore
import TidemarkTestSupport

@Suite("Import")
struct ImportTests {
    /// A store with a seeded random mix of keyed and wide writes and intents that are
    /// committed, aborted, expired or left open. Returns every table/key dep it touched.
    private func populate(_ fixture: StoreFixture, seed: UInt64, steps: Int = 300) throws -> [Dep] {
        var random = SeededGenerator(seed: seed)
        let tables = ["users", "orders", "tags", "t4"]
        let keys = ["1", "2", "3", "a", "b", "status=open"]
        var deps = Set<Dep>()
        var open: [String] = []
        func change() -> Change {
            let table = tables.randomElement(using: &random)!
            deps.insert(dep(table))
            if Int.random(in: 0..<4, using: &random) == 0 { return wide(table) }
            let chosen = Array(keys.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)))
            for key in chosen { deps.insert(dep(table, key)) }
            return Change(table: table, keys: chosen)
        }
        for step in 0..<steps {
            let peer = step % 3 == 0 ? bob : alice
            let meta: [UInt8]? = step % 5 == 0 ? Array(#"{"step":\#(step)}"#.utf8) : nil
            fixture.clock.advance(by: UInt64.random(in: 0..<2_000, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4:
                try fixture.write((0..<Int.random(in: 1...3, using: &random)).map { _ in change() }, meta: meta, peer: peer)
            case 4..<7:
                let lease = UInt64.random(in: 1_000..<20_000, using: &random)
                open.append(try fixture.begin([change(), change()], lease: lease, meta: meta, peer: peer).id)
            case 7, 8:
                guard !open.isEmpty else { continue }
                let id = open.remove(at: Int.random(in: 0..<open.count, using: &random))
                // One whose lease ended is expired by the batch before it could be closed.
                guard let intent = try fixture.store.intent(id), intent.state == .open,
                      intent.expiresAt > fixture.clock.value
                else { continue }
                if Bool.random(using: &random) { _ = try fixture.commit(id, peer: peer) } else { _ = try fixture.abort(id, peer: peer) }
            default:
                _ = try fixture.housekeeping()
                open = try open.filter { try fixture.store.intent($0)?.state == .open }
            }
        }
        return deps.sorted { ($0.table, $0.key ?? "") < ($1.table, $1.key ?? "") }
    }

    /// Every record, paging through `log` as an export does.
    private func export(_ store: LMDBStore, pageSize: Int = 37) throws -> [Record] {
        var records: [Record] = []
        var from: LSN? = nil
        while true {
            let page = try store.log(LogQuery(from: from, limit: pageSize))
            records += page.records
            if page.records.isEmpty { return records }
            from = page.next
        }
    }

    private func openIntents(_ store: LMDBStore, _ records: [Record]) throws -> [Intent] {
        let ids = Set(records.compactMap(\.intent))
        return try ids.sorted().compactMap { id in try store.intent(id).flatMap { $0.state == .open ? $0 : nil } }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func anImportReproducesVersionsIntentsAndLSNs(seed: UInt64) throws {
        let original = try StoreFixture()
        let deps = try populate(original, seed: seed)
        let records = try export(original.store)
        #expect(records.count == Int(try original.lsn))
        #expect(Set(records.map(\.kind)) == Set(RecordKind.allCases))

        let copy = try StoreFixture()
        try copy.store.importRecords(records, lease: 30_000, batchSize: 50)
        #expect(try copy.lsn == original.lsn)
        #expect(try copy.log().oldest == 1)
        #expect(try export(copy.store) == records)
        #expect(try copy.versions(deps) == original.versions(deps))
        let copiedCacheable = try deps.map { try copy.store.stamp([$0]).cacheable }
        let originalCacheable = try deps.map { try original.store.stamp([$0]).cacheable }
        #expect(copiedCacheable == originalCacheable)
        let originalOpen = try openIntents(original.store, records)
        let copiedOpen = try openIntents(copy.store, records)
        #expect(copiedOpen.map(\.id) == originalOpen.map(\.id))
        #expect(copiedOpen.map(\.changes) == originalOpen.map(\.changes))
        #expect(copiedOpen.map(\.beginLSN) == originalOpen.map(\.beginLSN))
        // The lease end is not in the log: it is the begin time + the import's lease.
        for intent in copiedOpen {
            let begin = try #require(records.first { $0.lsn == intent.beginLSN })
            #expect(intent.expiresAt == begin.time + 30_000)
        }
        for id in Set(records.compactMap(\.intent)) {
            #expect(try copy.store.intent(id)?.state == original.store.intent(id)?.state)
        }
        #expect(copy.epoch != original.epoch)
        // The imported store goes on like any other.
        let originalLSN = try original.lsn
        let next = try copy.write(keyed("users", "1"))
        #expect(next == originalLSN + 1)
    }

    @Test func anImportMayContinueInSeveralCalls() throws {
        let original = try StoreFixture()
        let deps = try populate(original, seed: 9, steps: 120)
        let records = try export(original.store)
        let copy = try StoreFixture()
        for chunk in stride(from: 0, to: records.count, by: 17) {
            try copy.store.importRecords(Array(records[chunk..<min(chunk + 17, records.count)]), batchSize: 5)
        }
        #expect(try export(copy.store) == records)
        #expect(try copy.versions(deps) == original.versions(deps))
    }

    @Test func aCompactedLogStartsTheStoreAtItsFirstRecord() throws {
        let original = try StoreFixture()
        try original.write(keyed("t", "a"))
        let begun = try original.begin([keyed("t", "b")])
        try original.write(wide("u"))
        try original.write(keyed("t", "c"))
        _ = try original.apply(.compact(before: 3))
        _ = try original.commit(begun.id)
        let records = try export(original.store)
        #expect(records.first?.lsn == 3)

        let copy = try StoreFixture()
        try copy.store.importRecords(records)
        #expect(try copy.log().oldest == 3)
        #expect(try copy.lsn == 5)
        #expect(try export(copy.store) == records)
        // The commit of an intent begun before the export still advances its versions.
        #expect(try copy.versions([dep("t", "b"), dep("t"), dep("u", "x")]) == [5, 5, 3])
        // Only what compacted records set is lost.
        #expect(try copy.version(dep("t", "a")) == 0)
    }

    @Test func aGapIsRefusedNamingTheMissingLSN() throws {
        let original = try StoreFixture()
        _ = try populate(original, seed: 4, steps: 40)
        var records = try export(original.store)
        let missing = records.remove(at: 10).lsn
        let copy = try StoreFixture()
        let error = try #require(throws: StoreError.self) { try copy.store.importRecords(records) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("record \(missing) is missing"))
        #expect(try copy.lsn == 0)

        // A later call must continue the store exactly.
        try copy.store.importRecords(Array(records[0..<5]))
        let skip = try #require(throws: StoreError.self) { try copy.store.importRecords(Array(records[6..<9])) }
        #expect(skip.message.contains("record 6 is missing"))
        let repeated = try #require(throws: StoreError.self) { try copy.store.importRecords(Array(records[2..<9])) }
        #expect(repeated.message.contains("already at lsn 5"))
        #expect(try copy.lsn == 5)
    }

    /// An export from a backend whose LSNs have gaps (etcd): every record keeps its LSN,
    /// in one call or several, the gaps verify clean, and writes continue after the last.
    @Test func aSparseImportKeepsEveryLSNAndVerifiesClean() throws {
        let original = try StoreFixture()
        let deps = try populate(original, seed: 6, steps: 80)
        let dense = try export(original.store)
        // Spread the LSNs out as etcd revisions are: every record moves up by 3 per step,
        // intents and all, so the replay must keep each one's own.
        let records = dense.enumerated().map { index, record in
            var spread = record
            spread.lsn = record.lsn * 3 + LSN(index % 2)
            return spread
        }
        let copy = try StoreFixture()
        try copy.store.importRecords(Array(records[..<30]), batchSize: 7, sparse: true)
        try copy.store.importRecords(Array(records[30...]), batchSize: 7, sparse: true)
        #expect(try export(copy.store) == records)
        #expect(try copy.lsn == records.last?.lsn)
        #expect(try copy.log().oldest == records.first?.lsn)
        let report = try copy.store.verify()
        #expect(report.isClean, "\(report.discrepancies)")
        // The same versions, at the spread LSNs.
        let spreadOf = Dictionary(uniqueKeysWithValues: zip(dense.map(\.lsn), records.map(\.lsn)))
        #expect(try copy.versions(deps) == original.versions(deps).map { $0 == 0 ? 0 : spreadOf[$0]! })
        #expect(try copy.write(keyed("users", "1")) == records.last!.lsn + 1)
        #expect(try copy.store.verify().isClean)

        // Out of order is refused even so, and a plain import still refuses gaps.
        let backwards = try StoreFixture()
        let error = try #require(throws: StoreError.self) {
            try backwards.store.importRecords([records[1], records[0]], sparse: true)
        }
        #expect(error.code == .invalidArgument)
        #expect(throws: StoreError.self) { try StoreFixture().store.importRecords(records) }
    }

    @Test func aNonEmptyTargetIsRefused() throws {
        let original = try StoreFixture()
        _ = try populate(original, seed: 5, steps: 30)
        let records = try export(original.store)

        // A store with records of its own: the import does not continue it.
        let used = try StoreFixture()
        try used.write(keyed("x", "1"))
        let error = try #require(throws: StoreError.self) { try used.store.importRecords(records) }
        #expect(error.message.contains("already at lsn 1"))
        #expect(try used.lsn == 1)

        // A directory with anything in it, a store or not.
        let path = temporaryPath("import")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path + "/stray", contents: Data())
        let refused = try #require(throws: StoreError.self) { _ = try LMDBStore.openForImport(path: path) }
        #expect(refused.message.contains("not empty"))
        #expect(throws: StoreError.self) { _ = try LMDBStore.openForImport(path: used.path) }

        // A new or empty directory is fine.
        try FileManager.default.removeItem(atPath: path + "/stray")
        var options = StoreFixture.fastOptions
        options.durable = false
        let store = try LMDBStore.openForImport(path: path, options: options)
        try store.importRecords(records)
        #expect(try store.currentLSN() == records.last?.lsn)
    }

    @Test func inconsistentRecordsAreRefusedBeforeAnythingIsWritten() throws {
        let copy = try StoreFixture()
        let commit = Record(lsn: 1, time: 1, kind: .commit, changes: [keyed("t", "a")], intent: "nope", peer: alice)
        let error = try #require(throws: StoreError.self) { try copy.store.importRecords([commit]) }
        #expect(error.message.contains("record 1"))
        let begin = Record(lsn: 1, time: 1, kind: .begin, changes: [keyed("t", "a")], peer: alice)
        #expect(throws: StoreError.self) { try copy.store.importRecords([begin]) }
        let empty = Record(lsn: 1, time: 1, kind: .write, changes: [Change(table: "")], peer: alice)
        #expect(throws: StoreError.self) { try copy.store.importRecords([empty]) }
        #expect(try copy.lsn == 0)
    }
}
