import Foundation
import Synchronization
import Testing
@testable import TidemarkEtcd
import TidemarkStore

/// The mirror on its own, fed watch messages directly (no cluster).
@Suite struct EtcdMirrorTests {
    /// A long-running server's mirror applies millions of watch messages. The record sink
    /// was kept as a closure in a `Mutex`, and each message's read of it wrapped it in two
    /// more reabstraction thunks: every delivery walked the whole chain, CPU per write grew
    /// without end, and after some 100,000 messages the walk overflowed the stack.
    @Test func aSinkIsCalledTheSameWayAfterAHundredThousandMessages() throws {
        let layout = EtcdLayout(prefix: Array("/t/".utf8))
        let mirror = EtcdMirror(layout: layout)
        let delivered = Mutex<(count: Int, last: LSN)>((0, 0))
        mirror.deliverRecords { event in
            guard case .records(let records) = event else { return }
            delivered.withLock { $0 = ($0.count + records.count, records.last?.record.lsn ?? $0.last) }
        }
        mirror.load([], at: 1)
        let value = Array(try JSONEncoder().encode(StoredRecord(changes: [Change(table: "t")], meta: nil, peer: nil)))
        let messages = 100_000
        for revision in Int64(2)...Int64(messages + 1) {
            let record = EtcdKeyValue(key: layout.record(writer: "w", sequence: UInt64(revision)), value: value, modRevision: revision)
            mirror.apply(EtcdWatchResponse(header: EtcdResponseHeader(revision: revision), events: [EtcdEvent(kind: .put, kv: record)]))
        }
        #expect(delivered.withLock { $0.count } == messages)
        #expect(delivered.withLock { $0.last } == LSN(messages + 1))
        #expect(mirror.readCurrent { $0.applied } == Int64(messages + 1))
    }
}
