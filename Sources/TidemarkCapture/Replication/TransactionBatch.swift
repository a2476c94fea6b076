import TidemarkProtocol
import TidemarkStore

/// Consecutive committed transactions recorded as one write, for when Tidemark answers
/// more slowly than PostgreSQL commits (an etcd-backed server sends a connection's writes
/// one etcd round at a time).
///
/// Merging never loses precision: a transaction joins only if the union of the changes
/// stays within `Limits`, so every table keyed alone stays keyed together. The record's
/// source position is the last transaction's, so exactly-once holds as for one.
struct TransactionBatch {
    struct Limits: Sendable {
        var maxTransactions = 256
        var maxTables = 1000
        var maxKeysPerTable = 1000
        var maxKeyBytes = 256 * 1024
        /// Version keys the record advances, counted as the etcd backend counts them: one
        /// per table, plus one per key of a keyed table or one more for a wide table.
        var maxVersionKeys = Int.max

        /// Within one etcd transaction of the default `--max-txn-ops` (128 operations, 5
        /// of them not version keys: `EtcdVersions.reservedOperations`), so the server
        /// never has to advance a batch's tables wide for want of room.
        static func forEtcd(_ limits: Limits) -> Limits {
            var narrowed = limits
            narrowed.maxVersionKeys = 123
            return narrowed
        }
    }

    let limits: Limits
    /// The source position Tidemark has or was sent: a transaction at or below it is a
    /// resend after a crash, and joins for its end position only.
    let recordedPosition: UInt64
    private(set) var count = 0
    /// Of the transactions that will be written (after `recordedPosition`, with changes).
    private(set) var written = 0
    private(set) var endLSN: UInt64 = 0
    private(set) var lastCommitLSN: UInt64 = 0
    private var firstCommitLSN: UInt64 = 0
    private var lastXID: UInt32 = 0
    private var earliestCommitTime = Int64.max
    /// Per table its keys, nil when wide.
    private var tables: [String: Set<String>?] = [:]
    private var keyCount = 0
    private var keyBytes = 0

    init(limits: Limits, recordedPosition: UInt64) {
        self.limits = limits
        self.recordedPosition = recordedPosition
    }

    var isEmpty: Bool { count == 0 }

    /// Adds `transaction` unless the batch would then exceed its limits (the first one
    /// always joins: the assembler made it fit alone). Returns whether it joined.
    mutating func add(_ transaction: CapturedTransaction) -> Bool {
        guard count < limits.maxTransactions else { return false }
        let writes = transaction.commitLSN > recordedPosition && !transaction.changes.isEmpty
        if writes {
            var merged = tables
            var mergedKeys = keyCount
            var mergedBytes = keyBytes
            for change in transaction.changes {
                guard let keys = change.keys else {
                    if let known = merged[change.table], let known {
                        mergedKeys -= known.count
                        mergedBytes -= known.reduce(0) { $0 + $1.utf8.count }
                    }
                    merged[change.table] = .some(nil)
                    continue
                }
                let existing = merged[change.table]
                if case .some(.none) = existing { continue }  // already wide
                var known = existing.flatMap { $0 } ?? []
                for key in keys where known.insert(key).inserted {
                    mergedKeys += 1
                    mergedBytes += key.utf8.count
                }
                guard known.count <= limits.maxKeysPerTable || written == 0 else { return false }
                merged[change.table] = .some(known)
            }
            let wide = merged.values.reduce(0) { $0 + ($1 == nil ? 1 : 0) }
            let versionKeys = merged.count + mergedKeys + wide
            let fits = merged.count <= limits.maxTables && versionKeys <= limits.maxVersionKeys && mergedBytes <= limits.maxKeyBytes
            guard fits || written == 0 else { return false }
            tables = merged
            keyCount = mergedKeys
            keyBytes = mergedBytes
            if written == 0 { firstCommitLSN = transaction.commitLSN }
            written += 1
            lastCommitLSN = transaction.commitLSN
            lastXID = transaction.xid
            earliestCommitTime = min(earliestCommitTime, transaction.commitTime)
        }
        count += 1
        endLSN = transaction.endLSN
        return true
    }

    /// The union of the written transactions' changes, sorted by table and key.
    var changes: [Change] {
        tables.keys.sorted().map { table in
            Change(table: table, keys: tables[table]!.map { $0.sorted() })
        }
    }

    /// The record's meta: the source, the last transaction's commit LSN and id, and the
    /// earliest commit time (the oldest the record can be); with several transactions also
    /// how many and the first one's commit LSN.
    var meta: JSONObject {
        var meta: JSONObject = [
            "source": "postgres",
            "lsn": .string(WALPosition(lastCommitLSN).description),
            "xid": JSONValue(UInt64(lastXID)),
            "commit_time_us": JSONValue(UInt64(max(earliestCommitTime, 0))),
        ]
        if written > 1 {
            meta["transactions"] = JSONValue(written)
            meta["first_lsn"] = .string(WALPosition(firstCommitLSN).description)
        }
        return meta
    }
}
