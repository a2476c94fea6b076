import Testing
import TidemarkStore
@testable import TidemarkCapture

@Suite("The backlog between the stream and the writer")
struct TransactionBacklogTests {
    private static func transaction(_ lsn: UInt64) -> CapturedTransaction {
        CapturedTransaction(xid: 1, commitLSN: lsn, endLSN: lsn + 1, commitTime: 0, changes: [Change(table: "t", keys: ["\(lsn)"])])
    }

    @Test func everythingQueuedJoinsTheNextBatchInOrder() async {
        let backlog = TransactionBacklog(capacity: 10)
        for lsn in 1...5 { await backlog.append(Self.transaction(UInt64(lsn))) }
        var batch = TransactionBatch(limits: .init(), recordedPosition: 0)
        #expect(await backlog.take(into: &batch))
        #expect(batch.written == 5 && batch.lastCommitLSN == 5)
        #expect(batch.changes == [Change(table: "t", keys: ["1", "2", "3", "4", "5"])])
    }

    @Test func aFullBacklogHoldsTheReaderUntilTheWriterTakes() async {
        let backlog = TransactionBacklog(capacity: 2)
        await backlog.append(Self.transaction(1))
        await backlog.append(Self.transaction(2))
        async let third: Void = backlog.append(Self.transaction(3))
        var limits = TransactionBatch.Limits()
        limits.maxTransactions = 2
        var first = TransactionBatch(limits: limits, recordedPosition: 0)
        #expect(await backlog.take(into: &first))
        #expect(first.lastCommitLSN == 2)
        await third
        var second = TransactionBatch(limits: limits, recordedPosition: 2)
        #expect(await backlog.take(into: &second))
        #expect(second.lastCommitLSN == 3 && second.written == 1)
    }

    @Test func aWaitingWriterWakesOnAppendAndEndsOnFinish() async {
        let backlog = TransactionBacklog(capacity: 4)
        async let taken: (Bool, UInt64) = {
            var batch = TransactionBatch(limits: .init(), recordedPosition: 0)
            let ok = await backlog.take(into: &batch)
            return (ok, batch.lastCommitLSN)
        }()
        await backlog.append(Self.transaction(7))
        #expect(await taken == (true, 7))
        async let ended: Bool = {
            var batch = TransactionBatch(limits: .init(), recordedPosition: 7)
            return await backlog.take(into: &batch)
        }()
        backlog.finish()
        #expect(await ended == false)
    }
}
