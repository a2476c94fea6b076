import LMDB

#if canImport(Glibc)
import Glibc
#endif

/// Replaying an exported change log into a fresh store (`tidemark import`), offline.
///
/// Each record is applied as the mutation that wrote it was: `write`, `commit` and
/// `expire` advance versions, `begin` opens the intent under its recorded id, `commit`,
/// `abort` and `expire` close it. Every record keeps its LSN, time, peer, intent and meta.
/// Not reproduced: names (they are not in the log), the epoch (the store keeps its own),
/// an open intent's real lease end (not in the log: `begin` time + `lease` is used), and
/// versions set by records compacted away before the export.
extension LMDBStore {
    /// How many records one import transaction (and fsync) holds.
    public static let importBatchSize = 10_000

    /// Opens a store for import in `path`, which must not exist yet or be an empty
    /// directory, so an import never mixes with an existing store.
    public static func openForImport(
        path: String, options: Options = Options(),
        clock: @escaping @Sendable () -> Milliseconds = LMDBStore.wallClock
    ) throws(StoreError) -> LMDBStore {
        if let entry = firstEntry(ofDirectory: path) {
            throw StoreError(
                .invalidArgument, "cannot import into \(path): the directory is not empty (it holds \(entry))",
                field: "data")
        }
        return try LMDBStore(path: path, options: options, clock: clock)
    }

    /// Applies `records` in order, `batchSize` per transaction. They must be dense and
    /// continue the store (start at its lsn + 1); an empty store may instead start at the
    /// first record's LSN, which becomes its `oldest` (an export of a compacted log).
    /// In a store whose log starts above 1, a close of an intent begun before it (so
    /// unknown here) is kept and advances versions as it did, with no intent to close.
    ///
    /// With `sparse` (an export from a backend whose LSNs have gaps, such as etcd), gaps
    /// are accepted, each record keeps its LSN, and the store remembers that it is sparse
    /// (meta `sparse`), so that `verify` accepts them.
    ///
    /// An open intent's lease ends at its `begin` time + `lease`. Nothing is expired by
    /// the import itself: leases that already ended are expired by the server's first
    /// housekeeping. A refused record names its LSN; batches before it stay applied.
    public func importRecords(
        _ records: [Record], lease: Milliseconds = 30_000, batchSize: Int = LMDBStore.importBatchSize, sparse: Bool = false
    ) throws(StoreError) {
        guard let first = records.first else { return }
        for (previous, record) in zip(records, records.dropFirst())
        where sparse ? record.lsn <= previous.lsn : record.lsn != previous.lsn &+ 1 {
            throw Self.gapError(expected: previous.lsn &+ 1, found: record.lsn)
        }
        for record in records { try checkShape(record) }
        let batchSize = max(1, batchSize)
        var start = records.startIndex
        while start < records.endIndex {
            let end = min(start + batchSize, records.endIndex)
            try guarded("cannot import the records \(records[start].lsn)–\(records[end - 1].lsn)") {
                try write { transaction in
                    var lsn = try currentLSN(in: transaction)
                    // A sparse store continues across a gap; a dense one only at lsn + 1.
                    let continuesAcrossGap = sparse && lsn > 0 && first.lsn > lsn
                    if start == records.startIndex, sparse {
                        try transaction.put([1], forKey: Schema.MetaKey.sparse, in: schema.meta)
                    }
                    if start == records.startIndex, first.lsn != lsn &+ 1, !continuesAcrossGap {
                        guard lsn == 0, first.lsn > 1 else { throw Self.gapError(expected: lsn &+ 1, found: first.lsn) }
                        // An empty store takes the first record as its starting point.
                        lsn = first.lsn - 1
                        try transaction.put(ByteWriter.bigEndian(first.lsn), forKey: Schema.MetaKey.oldest, in: schema.meta)
                    }
                    let orphansAllowed = try oldestLSN(in: transaction) > 1
                    var state = BatchState(lsn: lsn, now: first.time)
                    for record in records[start..<end] {
                        // Across a gap, the record takes its own LSN.
                        if sparse { state.lsn = record.lsn - 1 }
                        try importRecord(record, lease: lease, orphansAllowed: orphansAllowed, state: &state, in: transaction)
                    }
                    try transaction.put(ByteWriter.bigEndian(state.lsn), forKey: Schema.MetaKey.lsn, in: schema.meta)
                }
            }
            start = end
        }
    }

    private func importRecord(
        _ record: Record, lease: Milliseconds, orphansAllowed: Bool,
        state: inout BatchState, in transaction: borrowing WriteTransaction
    ) throws {
        let refuse = { (message: String) in Self.refusal(record, message) }
        state.now = record.time
        switch record.kind {
        case .write:
            _ = state.nextLSN()
            _ = try append(record, state: &state, in: transaction)
        case .begin:
            let id = record.intent ?? ""
            if let existing = try intent(id, in: transaction) {
                throw refuse("intent \(id) was already begun (it is \(existing.state.rawValue))")
            }
            _ = try begin(
                changes: record.changes, lease: lease, meta: record.meta, peer: record.peer, id: id,
                state: &state, in: transaction)
        case .commit, .abort, .expire:
            let id = record.intent ?? ""
            let known = try intent(id, in: transaction)
            if let known, known.state == .open {
                guard known.changes == record.changes, known.meta == record.meta else {
                    throw refuse("its changes or meta differ from those of intent \(id)")
                }
                _ = try close(id, as: record.kind, peer: record.peer, state: &state, in: transaction)
            } else if known == nil, orphansAllowed {
                // Begun in a record compacted away before the export.
                _ = state.nextLSN()
                _ = try append(record, state: &state, in: transaction)
            } else {
                throw refuse(
                    "it closes intent \(id), which is \(known?.state.rawValue ?? "unknown") "
                        + "(never begun in this log)")
            }
        }
    }

    /// What a record must be before anything is applied: valid changes, and an intent id
    /// exactly on the kinds that have one.
    private func checkShape(_ record: Record) throws(StoreError) {
        do {
            try limits.validate(record.changes, field: "changes")
        } catch {
            throw Self.refusal(record, error.message)
        }
        if record.kind == .write {
            guard record.intent == nil else { throw Self.refusal(record, "a write record has an intent") }
        } else {
            guard let id = record.intent, !id.isEmpty, id.utf8.count <= limits.maxNameBytes else {
                throw Self.refusal(
                    record, "a \(record.kind.rawValue) record needs an intent id of 1 to \(limits.maxNameBytes) bytes")
            }
        }
    }

    private static func refusal(_ record: Record, _ message: String) -> StoreError {
        StoreError(.invalidArgument, "cannot import record \(record.lsn): \(message)", field: "lsn")
    }

    private static func gapError(expected: LSN, found: LSN) -> StoreError {
        StoreError(
            .invalidArgument,
            found < expected
                ? "cannot import record \(found): the store is already at lsn \(expected - 1) (records must continue it)"
                : "cannot import: record \(expected) is missing (the next record is \(found)); "
                    + "an import needs every record, without gaps",
            field: "lsn")
    }

    /// The name of one entry of the directory at `path`, or nil when it does not exist
    /// or is empty.
    private static func firstEntry(ofDirectory path: String) -> String? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { return name }
        }
        return nil
    }
}
