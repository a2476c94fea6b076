import Foundation
import TidemarkStore

extension EtcdVersions {
    /// Records a write of `changes`: its record and every version it advances in one etcd
    /// Txn, at one revision, which is returned as its LSN; retried after a lost answer but
    /// never applied twice (`sendRecorded`).
    public func write(
        _ changes: [Change], meta: [UInt8]? = nil, peer: Peer? = nil, deadline: Duration = .seconds(10)
    ) async throws(EtcdError) -> LSN {
        guard !changes.isEmpty else { throw EtcdError(.invalidRequest, "a write needs at least one change") }
        let record = layout.record(writer: writer, sequence: nextSequence())
        let stored = StoredRecord(changes: changes, meta: meta, peer: peer)
        let answer = try await sendRecorded(
            record, stored, operations: (try versionKeys(of: changes)).map { .put(key: $0, value: []) }, deadline: deadline)
        guard case .recorded(let lsn) = answer else {
            throw EtcdError(.protocolViolation, "a write without conditions was refused")
        }
        return lsn
    }

    /// What `sendRecorded` got: the record's LSN, or the answers of `failure` when a
    /// condition of the caller's did not hold (nothing was applied).
    enum RecordedAnswer {
        case recorded(LSN)
        case refused([EtcdOperationResponse])
    }

    /// Sends one Txn that creates `record` (with `stored` as its value), puts the head
    /// and runs `operations`, if `record` is absent and `compare` holds.
    ///
    /// Because the record's key is created only if absent, sending it again after an
    /// answer was lost changes nothing and reads the first run's revision back: the Txn
    /// is retried until answered or `deadline` passes, never applied twice. A thrown
    /// `outcomeUnknown` means it may have been applied, and nothing else is known.
    func sendRecorded(
        _ record: [UInt8], _ stored: StoredRecord, compare: [EtcdComparison] = [], operations: [EtcdOperation],
        failure: [EtcdOperation] = [], deadline: Duration = .seconds(10)
    ) async throws(EtcdError) -> RecordedAnswer {
        let value: [UInt8]
        do {
            value = Array(try JSONEncoder().encode(stored))
        } catch {
            throw EtcdError(.invalidRequest, "cannot encode the record", cause: error)
        }
        let transaction = EtcdTransaction(
            compare: [.absent(record)] + compare,
            success: [.put(key: record, value: value), .put(key: layout.head, value: [])] + operations,
            failure: [.range(EtcdRangeRequest(key: record, keysOnly: true))] + failure)
        let end = ContinuousClock.now + deadline
        var sentOnce = false
        while true {
            let failure: EtcdError
            do throws(EtcdError) {
                let answer = try await client.transaction(transaction, idempotent: true)
                if answer.succeeded { return .recorded(LSN(answer.header.revision)) }
                guard case .range(let existing) = answer.responses.first else {
                    throw EtcdError(.protocolViolation, "a refused Txn did not answer its record's read")
                }
                if let kv = existing.kvs.first { return .recorded(LSN(kv.modRevision)) }
                return .refused(Array(answer.responses.dropFirst()))
            } catch {
                failure = error
            }
            guard failure.code == .unavailable || failure.code == .outcomeUnknown else { throw failure }
            sentOnce = sentOnce || failure.code == .outcomeUnknown
            guard ContinuousClock.now < end else {
                throw sentOnce
                    ? EtcdError(.outcomeUnknown, "the write was not acknowledged in \(deadline); it may have been applied", cause: failure)
                    : failure
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The version keys a write puts. etcd refuses a Txn of more than `--max-txn-ops`
    /// operations (128 by default), so a write naming more keys than fit advances its
    /// tables wide instead: more entries are invalidated, never fewer. The record keeps
    /// the keys as written.
    func versionKeys(of changes: [Change]) throws(EtcdError) -> [[UInt8]] {
        try Self.versionKeys(of: changes, in: layout)
    }

    /// `versionKeys(of:)` under any layout (`verify --etcd` replays the log with it).
    static func versionKeys(of changes: [Change], in layout: EtcdLayout) throws(EtcdError) -> [[UInt8]] {
        let room = Self.maxTransactionOperations - Self.reservedOperations
        let keys = layout.versionKeys(of: changes)
        if keys.count <= room { return keys }
        let wide = layout.versionKeys(of: changes.map { Change(table: $0.table) })
        guard wide.count <= room else {
            throw EtcdError(
                .invalidRequest,
                "a write on etcd may name at most \(Self.maxTables) tables (etcd's --max-txn-ops is \(Self.maxTransactionOperations))")
        }
        return wide
    }

    /// etcd's default `--max-txn-ops`.
    static let maxTransactionOperations = 128

    /// Operations of a Txn that are not version keys: the record and the head, and for an
    /// intent's close its intent, lease and closed-state keys.
    static let reservedOperations = 5

    /// The most tables one write or intent may name: each takes two operations when it is
    /// advanced wide, beside the reserved ones.
    public static let maxTables = (maxTransactionOperations - reservedOperations) / 2

    func nextSequence() -> UInt64 {
        sequenceCounter.add(1, ordering: .relaxed).newValue
    }
}

/// A record as stored in etcd: its kind (absent for a write), intent, changes, the
/// write's meta (JSON text), who wrote it and when (milliseconds since 1970, by the clock
/// of the server that wrote it). Its LSN is its key's revision.
struct StoredRecord: Codable {
    var kind: String?
    var intent: String?
    var changes: [StoredChange]
    var meta: String?
    var pid: Int32?
    var uid: UInt32?
    var gid: UInt32?
    var time: UInt64?

    init(kind: RecordKind = .write, intent: String? = nil, changes: [StoredChange], meta: String?, peer: Peer?) {
        self.kind = kind == .write ? nil : kind.rawValue
        self.intent = intent
        self.changes = changes
        self.meta = meta
        pid = peer?.pid
        uid = peer?.uid
        gid = peer?.gid
        time = LMDBStore.wallClock()
    }

    /// A client's write: its changes and meta as the store has them.
    init(kind: RecordKind = .write, intent: String? = nil, changes: [Change], meta: [UInt8]?, peer: Peer?) {
        self.init(
            kind: kind, intent: intent, changes: changes.map(StoredChange.init),
            meta: meta.map { String(decoding: $0, as: UTF8.self) }, peer: peer)
    }

    /// The record a record key holds; nil if it holds none.
    static func decode(_ kv: EtcdKeyValue) -> Record? {
        guard let stored = try? JSONDecoder().decode(StoredRecord.self, from: Data(kv.value)),
              let kind = RecordKind(rawValue: stored.kind ?? RecordKind.write.rawValue)
        else { return nil }
        return Record(
            lsn: LSN(kv.modRevision), time: stored.time ?? 0, kind: kind, changes: stored.changes.map(\.change),
            intent: stored.intent, meta: stored.meta.map { Array($0.utf8) },
            peer: Peer(pid: stored.pid ?? 0, uid: stored.uid ?? 0, gid: stored.gid ?? 0))
    }
}

struct StoredChange: Codable, Hashable, Sendable {
    init(_ change: Change) {
        table = change.table
        keys = change.keys
    }

    var change: Change { Change(table: table, keys: keys) }

    var table: String
    var keys: [String]?
}
