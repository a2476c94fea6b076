import Testing
@testable import TidemarkStore

@Suite("Concurrent reads")
struct ConcurrentReadTests {
    /// Every write moves t, t:k and u (wide) to its LSN, so any snapshot must show all
    /// three equal to the current LSN: a reader never sees half a record.
    @Test func readersSeeWholeRecordsInLSNOrder() async throws {
        let fixture = try StoreFixture()
        let store: LMDBStore = fixture.store
        let deps = [dep("t"), dep("t", "k"), dep("u", "anything")]
        let writes = 300

        let problems = try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask {
                for _ in 0..<writes {
                    _ = try store.apply([
                        MutationRequest(.write(changes: [keyed("t", "k"), wide("u")], meta: nil), peer: alice),
                    ])
                }
                return []
            }
            for _ in 0..<4 {
                group.addTask {
                    var problems: [String] = []
                    var last: LSN = 0
                    for _ in 0..<300 {
                        let result = try store.stamp(deps)
                        if result.versions != [result.lsn, result.lsn, result.lsn] {
                            problems.append("lsn \(result.lsn) versions \(result.versions)")
                        }
                        if result.lsn < last { problems.append("lsn went back from \(last) to \(result.lsn)") }
                        last = result.lsn
                        let validity = try store.check([.stamp(Stamp(epoch: result.epoch, lsn: result.lsn), deps: deps)])[0]
                        // Valid, or changed by a later write: never future, epoch or pending.
                        if let reason = validity.reason, reason != .changed {
                            problems.append("check answered \(reason)")
                        }
                    }
                    return problems
                }
            }
            var all: [String] = []
            for try await problems in group { all += problems }
            return all
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(try fixture.lsn == LSN(writes))
        #expect(try fixture.versions(deps) == [LSN(writes), LSN(writes), LSN(writes)])
    }
}
