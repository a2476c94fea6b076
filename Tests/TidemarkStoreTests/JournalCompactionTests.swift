import Foundation
import Testing
@testable import TidemarkStore

/// A compaction of many records is one transaction, so one journal frame: it must journal
/// the records' keys, not the records, and replay after a power loss like any other.
@Suite("Journal: large compactions")
struct JournalCompactionTests {
    @Test func aCompactionOfManyRecordsJournalsTheirKeysAndReplaysAfterAPowerLoss() throws {
        let fixture = try StoreFixture(options: JournalTestSupport.options(boot: "A", segmentBytes: 4 << 20))
        let padding = Array(String(repeating: "p", count: 400).utf8)
        for batch in 0..<20 {
            let requests = (0..<500).map { index in
                MutationRequest(.write(changes: [keyed("t", "k\(batch * 500 + index)")], meta: padding), peer: alice)
            }
            _ = try fixture.store.apply(requests)
        }
        let written = try #require(fixture.store.journalStatus).bytes
        let outcome = try fixture.store.apply([MutationRequest(.compact(before: 9_001), peer: alice)])
        #expect(try outcome.outcomes[0].get() == .compacted(oldest: 9_001))
        let compactionBytes = try #require(fixture.store.journalStatus).bytes - written
        // 9,000 records of more than 400 bytes each: the frame holds about 17 bytes a record.
        #expect(compactionBytes < 9_000 * 40, "the compaction's frame is \(compactionBytes) bytes")

        let copy = temporaryPath("compaction-power-loss")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try JournalTestSupport.copyAsDiskHolds(
            fixture.path, to: copy, dataFile: try JournalTestSupport.tornDataFile(of: fixture.path, .garbage))
        let recovered = try LMDBStore(path: copy, options: JournalTestSupport.options(boot: "B"))
        #expect(throws: StoreError.self, "records below the compaction stay gone") { try recovered.log(LogQuery(from: 1, limit: 1)) }
        let page = try recovered.log(LogQuery(from: 9_001, limit: 2_000))
        #expect(page.oldest == 9_001)
        #expect(page.records.map(\.lsn) == Array(9_001...10_000))
        #expect(try recovered.verify().isClean)
    }
}
