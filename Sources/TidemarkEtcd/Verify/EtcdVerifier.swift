import Foundation
import TidemarkStore

/// `tidemark verify --etcd`: reads everything under a prefix at one revision, replays the
/// retained records and reports every disagreement with the stored keys, as
/// `LMDBStore.verify()` does for a data directory. It only reads, so it works beside
/// running servers.
///
/// What it checks (protocol/ETCD.md, "The mapping"): each key under the prefix is one
/// Tidemark writes and holds what it should; each version key's `mod_revision` is the LSN
/// of the last retained record that advances it (or predates `oldest`); the head is at or
/// above the newest record; every open intent has its `begin` record and no close, and
/// every retained `begin` without a close has its intent key; lease keys belong to open
/// intents; no record is left below `oldest`.
public struct EtcdVerifier {
    let client: EtcdClient
    let layout: EtcdLayout

    public init(client: EtcdClient, prefix: String) {
        self.client = client
        layout = EtcdLayout(prefix: Array(prefix.utf8))
    }

    public func verify() async throws(EtcdError) -> VerificationReport {
        let (keys, header) = try await readAll()
        var state = EtcdVerification(layout: layout, clusterID: header.clusterID)
        for kv in keys { state.classify(kv) }
        state.replayRecords()
        state.checkVersions()
        state.checkIntents()
        return state.report
    }

    /// Every key under the prefix, at the revision of the first page.
    private func readAll() async throws(EtcdError) -> ([EtcdKeyValue], EtcdResponseHeader) {
        var keys: [EtcdKeyValue] = []
        var from = layout.prefix
        var revision: Int64 = 0
        var header = EtcdResponseHeader()
        while true {
            let page = try await client.range(
                EtcdRangeRequest(
                    key: from, rangeEnd: EtcdKeys.prefixEnd(layout.prefix), limit: Int64(Self.pageSize), revision: revision))
            if revision == 0 {
                revision = page.header.revision
                header = page.header
            }
            keys += page.kvs
            guard page.more, let last = page.kvs.last else { return (keys, header) }
            from = last.key + [0]
        }
    }

    static let pageSize = 5_000
}

/// The state of one verification: the keys by kind, then what the replay expects of them.
struct EtcdVerification {
    let layout: EtcdLayout
    var report: VerificationReport
    private var records: [(lsn: LSN, record: Record)] = []
    private var versions: [[UInt8]: Int64] = [:]
    private var intents: [String: EtcdKeyValue] = [:]
    private var leases: Set<String> = []
    private var head: Int64 = 0
    private var oldest: LSN = 1
    /// The replay's last advance of each version key, and each intent's begin and close.
    private var advanced: [[UInt8]: LSN] = [:]
    private var begun: [String: LSN] = [:]
    private var closedInLog: [String: LSN] = [:]
    private var epochWord: UInt64?
    private let clusterID: UInt64

    init(layout: EtcdLayout, clusterID: UInt64) {
        self.layout = layout
        self.clusterID = clusterID
        report = VerificationReport(epoch: Epoch(high: clusterID, low: 0))
    }

    private mutating func add(_ kind: Discrepancy.Kind, _ subject: String, expected: String, found: String) {
        report.discrepancies.append(Discrepancy(kind: kind, subject: subject, expected: expected, found: found))
    }

    private func text(_ key: [UInt8]) -> String {
        String(decoding: key.dropFirst(layout.prefix.count), as: UTF8.self)
    }

    mutating func classify(_ kv: EtcdKeyValue) {
        let key = kv.key
        func suffix(after prefix: [UInt8]) -> String? {
            key.starts(with: prefix) ? String(decoding: key[prefix.count...], as: UTF8.self) : nil
        }
        if key == layout.epoch {
            epochWord = EtcdVersions.decodePosition(kv.value)
            if epochWord == nil { add(.meta, "epoch", expected: "8 bytes", found: "\(kv.value.count) bytes") }
        } else if key == layout.head {
            head = kv.modRevision
        } else if key == layout.oldest {
            guard let value = EtcdVersions.decodePosition(kv.value), value >= 1 else {
                return add(.meta, "oldest", expected: "8 bytes, at least 1", found: "\(kv.value.count) bytes")
            }
            oldest = value
        } else if key.starts(with: layout.records) {
            guard let record = StoredRecord.decode(kv) else {
                return add(.record, "lsn \(kv.modRevision)", expected: "a record", found: "\(kv.value.count) undecodable bytes")
            }
            records.append((LSN(kv.modRevision), record))
        } else if let id = suffix(after: layout.intents) {
            if (try? JSONDecoder().decode(StoredIntent.self, from: Data(kv.value))) == nil {
                add(.intent, "intent \(id)", expected: "an intent", found: "undecodable")
            }
            intents[id] = kv
        } else if let id = suffix(after: layout.leases) {
            leases.insert(id)
        } else if let id = suffix(after: layout.closed) {
            if IntentState(rawValue: String(decoding: kv.value, as: UTF8.self)) == nil {
                add(.intent, "closed intent \(id)", expected: "committed, aborted or expired", found: String(decoding: kv.value, as: UTF8.self))
            }
        } else if let name = suffix(after: layout.names) {
            report.names += 1
            if (try? JSONDecoder().decode(StoredName.self, from: Data(kv.value))) == nil {
                add(.name, name, expected: "a named entry", found: "undecodable")
            }
        } else if key.starts(with: layout.sources) {
            if EtcdVersions.decodePosition(kv.value) == nil {
                add(.meta, text(key), expected: "an 8-byte position", found: "\(kv.value.count) bytes")
            }
        } else if key.starts(with: layout.activities) {
            // A server's activity counters: opaque to etcd, read back only by that server.
        } else if layout.isVersionKey(key) {
            versions[key] = kv.modRevision
            switch key[layout.prefix.count] {
            case UInt8(ascii: "t"): report.tables += 1
            case UInt8(ascii: "k"): report.keys += 1
            default: break
            }
        } else {
            add(.meta, text(key), expected: "a key Tidemark writes", found: "an unknown key")
        }
    }

    /// Replays the records from `oldest` on, in LSN order.
    mutating func replayRecords() {
        if let epochWord { report.epoch = Epoch(high: clusterID, low: epochWord) } else {
            add(.meta, "epoch", expected: "the epoch key", found: "none")
        }
        records.sort { $0.lsn < $1.lsn }
        report.oldest = oldest
        report.lsn = LSN(head)
        for (lsn, record) in records {
            guard lsn >= oldest else {
                add(.log, "lsn \(lsn)", expected: "no record below oldest \(oldest) (a compaction cut short; the next deletes it)", found: "a record")
                continue
            }
            report.records += 1
            if record.kind.advancesVersions {
                guard let keys = try? EtcdVersions.versionKeys(of: record.changes, in: layout) else {
                    add(.record, "lsn \(lsn)", expected: "changes one Txn can hold", found: "\(record.changes.count) changes")
                    continue
                }
                for key in keys { advanced[key] = lsn }
            }
            if let id = record.intent {
                switch record.kind {
                case .begin: begun[id] = lsn
                case .commit, .abort, .expire: closedInLog[id] = lsn
                case .write: break
                }
            }
        }
        if let newest = records.last?.lsn, LSN(head) < newest {
            add(.meta, "head", expected: "at least \(newest) (the newest record)", found: "\(head)")
        }
    }

    mutating func checkVersions() {
        for (key, stored) in versions.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            let kind: Discrepancy.Kind = switch key[layout.prefix.count] {
            case UInt8(ascii: "t"): .tableVersion
            case UInt8(ascii: "w"): .wideVersion
            default: .keyVersion
            }
            let replayed = advanced[key]
            if LSN(stored) >= oldest, replayed != LSN(stored) {
                add(kind, text(key), expected: replayed.map { "\($0) (the last record that advances it)" } ?? "no version (no retained record advances it)", found: "\(stored)")
            } else if LSN(stored) < oldest, let replayed {
                add(kind, text(key), expected: "\(replayed) (a retained record advances it)", found: "\(stored)")
            }
        }
        for (key, lsn) in advanced where versions[key] == nil {
            add(.keyVersion, text(key), expected: "\(lsn)", found: "no version key")
        }
    }

    mutating func checkIntents() {
        report.intents = intents.count
        for (id, kv) in intents.sorted(by: { $0.key < $1.key }) {
            if let closed = closedInLog[id] {
                add(.intent, "intent \(id)", expected: "closed (record \(closed))", found: "open")
            } else if LSN(kv.createRevision) >= oldest, begun[id] != LSN(kv.createRevision) {
                add(.intent, "intent \(id)", expected: "its begin record at \(kv.createRevision)", found: "none")
            }
        }
        for (id, lsn) in begun.sorted(by: { $0.key < $1.key }) where closedInLog[id] == nil && intents[id] == nil {
            add(.intent, "intent \(id)", expected: "open (begun at \(lsn), never closed)", found: "no intent key")
        }
        for id in leases.sorted() where intents[id] == nil {
            add(.intent, "lease of \(id)", expected: "an open intent", found: "a lease key without one")
        }
    }
}
