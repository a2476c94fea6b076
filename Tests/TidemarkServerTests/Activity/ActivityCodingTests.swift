import Testing
import TidemarkStore

@testable import TidemarkServer

@Suite struct ActivityCodingTests {
    @Test func roundTripsEveryCounter() throws {
        let counters = ActivityCounters(countingSince: 1_000)
        let peer = Peer(pid: 1, uid: 2, gid: 3)
        counters.count([
            CommittedRecord(
                record: Record(lsn: 1, time: 1_500, kind: .write, changes: [Change(table: "users", keys: ["1", "2"])], meta: nil, peer: peer),
                invalidated: ["page:1"]),
            CommittedRecord(
                record: Record(lsn: 2, time: 1_600, kind: .begin, changes: [Change(table: "users")], intent: "i", meta: nil, peer: peer),
                invalidated: []),
        ])
        counters.countChecks(
            [.stamp(Stamp(epoch: Epoch.random(), lsn: 0), deps: [Dep(table: "users")]), .name("n")],
            [Validity(reason: .changed), .valid])
        counters.countRegistration([Dep(table: "users", key: "1"), Dep(table: "orders")])
        let state = counters.snapshot()
        let decoded = try #require(ActivityCoding.decode(ActivityCoding.encode(state)))
        #expect(decoded.tables == state.tables)
        #expect(decoded.checks == state.checks)
        #expect(decoded.coveredLSN == 2)
        #expect(decoded.countingSince == 1_000)
        #expect(state.tables["users"]?.namesInvalidated == 1)
        #expect(state.tables["orders"]?.namesRegistered == 1)
    }

    @Test func unreadableSnapshotsAreIgnored() {
        #expect(ActivityCoding.decode(Array("not json".utf8)) == nil)
        #expect(ActivityCoding.decode(Array(#"{"version":99,"counting_since":1,"covered_lsn":1}"#.utf8)) == nil)
    }
}
