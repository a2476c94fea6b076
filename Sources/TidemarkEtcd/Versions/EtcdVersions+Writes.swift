import Foundation
import TidemarkStore

extension EtcdVersions {
    /// Records a write of `changes`: its record and every version it advances in one etcd
    /// Txn, at one revision, which is returned as its LSN.
    ///
    /// The Txn creates the record's key only if it is absent, so sending it again after an
    /// answer was lost changes nothing and reads the first run's revision back: the write
    /// is retried until acknowledged or `deadline` passes, never applied twice. A thrown
    /// `outcomeUnknown` means it may have been applied, and nothing else is known.
    public func write(
        _ changes: [Change], meta: [UInt8]? = nil, peer: Peer? = nil, deadline: Duration = .seconds(10)
    ) async throws(EtcdError) -> LSN {
        guard !changes.isEmpty else { throw EtcdError(.invalidRequest, "a write needs at least one change") }
        let record = layout.record(writer: writer, sequence: nextSequence())
        let value: [UInt8]
        do {
            let stored = StoredRecord(
                changes: changes.map { StoredChange(table: $0.table, keys: $0.keys) },
                meta: meta.map { String(decoding: $0, as: UTF8.self) }, pid: peer?.pid, uid: peer?.uid)
            value = Array(try JSONEncoder().encode(stored))
        } catch {
            throw EtcdError(.invalidRequest, "cannot encode the write's changes", cause: error)
        }
        let transaction = EtcdTransaction(
            compare: [.absent(record)],
            success: [.put(key: record, value: value), .put(key: layout.head, value: [])]
                + (try versionKeys(of: changes)).map { .put(key: $0, value: []) },
            failure: [.range(EtcdRangeRequest(key: record, keysOnly: true))])
        let end = ContinuousClock.now + deadline
        var sentOnce = false
        while true {
            let failure: EtcdError
            do throws(EtcdError) {
                let answer = try await client.transaction(transaction, idempotent: true)
                if answer.succeeded { return LSN(answer.header.revision) }
                guard case .range(let existing) = answer.responses.first, let kv = existing.kvs.first else {
                    throw EtcdError(.protocolViolation, "a write's record key exists but could not be read back")
                }
                return LSN(kv.modRevision)
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
    private func versionKeys(of changes: [Change]) throws(EtcdError) -> [[UInt8]] {
        let room = Self.maxTransactionOperations - 2
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

    /// The most tables one write may name: each takes two operations when it is advanced
    /// wide, beside the record and the head.
    public static let maxTables = (maxTransactionOperations - 2) / 2

    private func nextSequence() -> UInt64 {
        sequenceCounter.add(1, ordering: .relaxed).newValue
    }
}

/// A record as stored in etcd: its changes, the write's meta (JSON text) and who wrote it.
struct StoredRecord: Codable {
    var changes: [StoredChange]
    var meta: String?
    var pid: Int32?
    var uid: UInt32?
}

struct StoredChange: Codable {
    var table: String
    var keys: [String]?
}
