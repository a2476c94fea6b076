import Testing
import TidemarkClient
import TidemarkStore

@Suite("Replaying hypothetical entries", .timeLimit(.minutes(1)))
struct ValidityReplayTests {
    private let peer = Peer(pid: 1, uid: 1, gid: 1)

    @Test func aWriteInvalidatesEntriesStampedBeforeItWithinTheHorizonOnly() throws {
        // One wide write at 5.000 s in a 10 s window: an entry stamped at t survives 1 s
        // unless t is in [4 s, 5 s), a tenth of the stamp times in [0, 9 s].
        let start = SyntheticLog.start
        let records = [Record(lsn: 1, time: start + 5000, kind: .write, changes: [Change(table: "t")], peer: peer)]
        let report = Advisor.advise(records: records, window: start...(start + 10_000))
        let t = try #require(report.tables.first)
        let second = try #require(t.tableValidity.fraction(at: 1000))
        #expect(abs(second - 8 / 9) < 0.01, "validity after 1 s was \(second)")
        #expect(t.tableValidity.fraction(at: 10_000) == 0)
        // A wide write reaches every key, so key deps fare no better.
        #expect(t.keyValidity.fraction(at: 1000) == second)
    }

    @Test func keyDepEntriesAreOnlyHitByTheirKeyOrAWideWrite() throws {
        // Keys a and b, each written once; an entry on one of them (drawn uniformly)
        // survives unless its own key is written within the horizon.
        let start = SyntheticLog.start
        let records = [
            Record(lsn: 1, time: start + 2500, kind: .write, changes: [Change(table: "t", keys: ["a"])], peer: peer),
            Record(lsn: 2, time: start + 7500, kind: .write, changes: [Change(table: "t", keys: ["b"])], peer: peer),
        ]
        let report = Advisor.advise(records: records, window: start...(start + 10_000))
        let t = try #require(report.tables.first)
        let table = try #require(t.tableValidity.fraction(at: 1000))
        let key = try #require(t.keyValidity.fraction(at: 1000))
        #expect(abs(table - 7 / 9) < 0.01)
        #expect(abs(key - 8 / 9) < 0.03)
    }
}
