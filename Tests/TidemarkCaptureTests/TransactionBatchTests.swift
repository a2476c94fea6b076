import Testing
import TidemarkProtocol
import TidemarkStore
@testable import TidemarkCapture

@Suite("Consecutive transactions in one record")
struct TransactionBatchTests {
    private static func transaction(_ lsn: UInt64, time: Int64 = 1000, _ changes: Change...) -> CapturedTransaction {
        CapturedTransaction(xid: UInt32(lsn), commitLSN: lsn, endLSN: lsn + 8, commitTime: time, changes: changes)
    }

    private static func batch(
        _ transactions: [CapturedTransaction], limits: TransactionBatch.Limits = .init(), recorded: UInt64 = 0
    ) -> (TransactionBatch, joined: Int) {
        var batch = TransactionBatch(limits: limits, recordedPosition: recorded)
        var joined = 0
        for transaction in transactions {
            guard batch.add(transaction) else { break }
            joined += 1
        }
        return (batch, joined)
    }

    @Test func keysOfATableAreUnitedAndAWideChangeStaysWide() {
        let (batch, joined) = Self.batch([
            Self.transaction(100, time: 50, Change(table: "items", keys: ["2", "1"]), Change(table: "tags", keys: ["x"])),
            Self.transaction(200, time: 60, Change(table: "items", keys: ["3", "1"])),
            Self.transaction(300, time: 70, Change(table: "tags")),
            Self.transaction(400, time: 80, Change(table: "tags", keys: ["y"])),
        ])
        #expect(joined == 4)
        #expect(batch.changes == [Change(table: "items", keys: ["1", "2", "3"]), Change(table: "tags")])
        #expect(batch.lastCommitLSN == 400 && batch.endLSN == 408 && batch.written == 4)
        let meta = batch.meta
        #expect(meta["lsn"]?.stringValue == WALPosition(400).description)
        #expect(meta["first_lsn"]?.stringValue == WALPosition(100).description)
        #expect(meta["transactions"]?.uint64Value == 4)
        // The oldest commit: the lag of the record is that of its first transaction.
        #expect(meta["commit_time_us"]?.uint64Value == 50)
    }

    @Test func oneTransactionAloneKeepsTheMetaOfOne() {
        let (batch, _) = Self.batch([Self.transaction(100, Change(table: "items", keys: ["1"]))])
        #expect(batch.meta["transactions"] == nil && batch.meta["first_lsn"] == nil)
        #expect(batch.meta["xid"]?.uint64Value == 100)
    }

    @Test func aTransactionThatWouldPassALimitStartsTheNextBatch() {
        var limits = TransactionBatch.Limits()
        limits.maxKeysPerTable = 3
        limits.maxVersionKeys = 6
        limits.maxTables = 2
        let keys = Self.batch([
            Self.transaction(100, Change(table: "a", keys: ["1", "2"])),
            Self.transaction(200, Change(table: "a", keys: ["2", "3"])),
            Self.transaction(300, Change(table: "a", keys: ["4"])),
        ], limits: limits)
        #expect(keys.joined == 2 && keys.0.changes == [Change(table: "a", keys: ["1", "2", "3"])])

        let total = Self.batch([
            Self.transaction(100, Change(table: "a", keys: ["1", "2"])),
            Self.transaction(200, Change(table: "b", keys: ["1", "2"])),
            Self.transaction(300, Change(table: "b", keys: ["3"])),
        ], limits: limits)
        #expect(total.joined == 2)

        let tables = Self.batch([
            Self.transaction(100, Change(table: "a")),
            Self.transaction(200, Change(table: "b")),
            Self.transaction(300, Change(table: "c")),
        ], limits: limits)
        #expect(tables.joined == 2)

        // A wide change frees the keys it covers.
        let widened = Self.batch([
            Self.transaction(100, Change(table: "a", keys: ["1", "2", "3"])),
            Self.transaction(200, Change(table: "a")),
            Self.transaction(300, Change(table: "b", keys: ["1", "2", "3"])),
        ], limits: limits)
        #expect(widened.joined == 3 && widened.0.changes == [Change(table: "a"), Change(table: "b", keys: ["1", "2", "3"])])
    }

    @Test func theFirstTransactionAlwaysJoinsEvenPastTheLimits() {
        var limits = TransactionBatch.Limits()
        limits.maxVersionKeys = 2
        let (batch, joined) = Self.batch([
            Self.transaction(100, Change(table: "a", keys: ["1", "2"])),
            Self.transaction(200, Change(table: "a", keys: ["3"])),
        ], limits: limits)
        #expect(joined == 1 && batch.written == 1)
    }

    @Test func resentAndEmptyTransactionsOnlyMoveTheEnd() {
        let (batch, joined) = Self.batch([
            Self.transaction(100, Change(table: "a", keys: ["1"])),
            Self.transaction(200, Change(table: "a", keys: ["2"])),
            Self.transaction(300),
        ], recorded: 100)
        #expect(joined == 3 && batch.written == 1 && batch.endLSN == 308)
        #expect(batch.changes == [Change(table: "a", keys: ["2"])])

        let nothing = Self.batch([Self.transaction(50, Change(table: "a", keys: ["1"]))], recorded: 100)
        #expect(nothing.0.written == 0 && nothing.0.endLSN == 58 && nothing.0.changes.isEmpty)
    }

    /// On etcd a batch stays within one transaction's 123 version keys: a keyed table
    /// takes one for the table and one per key.
    @Test func onEtcdABatchFitsOneEtcdTransaction() {
        let limits = TransactionBatch.Limits.forEtcd(TransactionBatch.Limits())
        let (batch, joined) = Self.batch(
            (1...70).map { Self.transaction(UInt64($0) * 100, Change(table: "t\($0)", keys: ["k"])) }, limits: limits)
        #expect(joined == 61 && batch.changes.count == 61)
    }

    @Test func atMostMaxTransactionsJoin() {
        var limits = TransactionBatch.Limits()
        limits.maxTransactions = 3
        let (_, joined) = Self.batch((1...5).map { Self.transaction(UInt64($0) * 100, Change(table: "a", keys: ["\($0)"])) }, limits: limits)
        #expect(joined == 3)
    }
}
