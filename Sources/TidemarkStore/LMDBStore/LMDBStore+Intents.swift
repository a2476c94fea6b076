import LMDB

extension LMDBStore {
    /// Opens an intent with a `begin` record. `id` is a fresh random one except on import,
    /// which keeps the id the log recorded.
    func begin(
        changes: [Change], lease: Milliseconds, meta: [UInt8]?, peer: Peer, id: String = LMDBStore.randomIntentID(),
        state: inout BatchState, in transaction: borrowing WriteTransaction
    ) throws -> MutationOutcome {
        let lsn = state.nextLSN()
        let expiresAt = state.deadline(after: lease)
        let record = Record(lsn: lsn, time: state.now, kind: .begin, changes: changes, intent: id, meta: meta, peer: peer)
        _ = try append(record, state: &state, in: transaction)
        let intent = Intent(
            id: id, state: .open, changes: changes, meta: meta, peer: peer, beginLSN: lsn, expiresAt: expiresAt)
        try transaction.put(StoredCoding.encode(intent), forKey: Array(id.utf8), in: schema.intents)
        try transaction.put([], forKey: Schema.expiryKey(expiresAt, id), in: schema.intentExpiry)
        try adjustPending(intent.changes, by: 1, in: transaction)
        return .begun(intent: id, lsn: lsn, expiresAt: expiresAt)
    }

    /// Ends an open intent with a `commit`, `abort` or `expire` record. A commit or an
    /// expiry advances the versions as a write would; an abort advances nothing.
    func close(
        _ id: String, as kind: RecordKind, peer: Peer,
        state: inout BatchState, in transaction: borrowing WriteTransaction
    ) throws -> Record {
        guard var intent = try intent(id, in: transaction), intent.state == .open else {
            throw StoreError.notOpen(try intent(id, in: transaction)?.state ?? .unknown)
        }
        let record = Record(
            lsn: state.nextLSN(), time: state.now, kind: kind, changes: intent.changes, intent: id,
            meta: intent.meta, peer: peer)
        try adjustPending(intent.changes, by: -1, in: transaction)
        try transaction.delete(Schema.expiryKey(intent.expiresAt, id), in: schema.intentExpiry)
        intent.state = switch kind {
        case .commit: .committed
        case .abort: .aborted
        default: .expired
        }
        intent.closedAt = state.now
        try transaction.put(StoredCoding.encode(intent), forKey: Array(id.utf8), in: schema.intents)
        try transaction.put(
            [], forKey: Schema.expiryKey(state.now + options.closedIntentRetention, id), in: schema.closedIntents)
        _ = try append(record, state: &state, in: transaction)
        return record
    }

    /// Keeps the per-table and per-key counts of open intents that `isPending` reads.
    private func adjustPending(
        _ changes: [Change], by delta: Int64, in transaction: borrowing WriteTransaction
    ) throws {
        for change in changes {
            let counts = try pendingCounts(change.table, in: transaction)
            let any = UInt64(Int64(counts.any) + delta)
            let wide = UInt64(Int64(counts.wide) + (change.isWide ? delta : 0))
            let tableKey = Schema.tableKey(change.table)
            if any == 0 {
                try transaction.delete(tableKey, in: schema.pendingTables)
            } else {
                try transaction.put(ByteWriter.bigEndian(any) + ByteWriter.bigEndian(wide), forKey: tableKey, in: schema.pendingTables)
            }
            for key in change.keys ?? [] {
                let keyKey = Schema.keyKey(table: change.table, key: key)
                let current = try transaction.withValue(in: schema.pendingKeys, forKey: keyKey) {
                    try ByteReader.bigEndian($0)
                } ?? 0
                let updated = UInt64(Int64(current) + delta)
                if updated == 0 {
                    try transaction.delete(keyKey, in: schema.pendingKeys)
                } else {
                    try transaction.put(ByteWriter.bigEndian(updated), forKey: keyKey, in: schema.pendingKeys)
                }
            }
        }
    }

    func housekeeping(state: inout BatchState, in transaction: borrowing WriteTransaction) throws -> MutationOutcome {
        try expireDueIntents(state: &state, in: transaction)
        let dueNames = try dueEntries(in: schema.nameExpiry, now: state.now, in: transaction)
        for name in dueNames { try removeName(name, in: transaction) }
        let forgotten = try dueEntries(in: schema.closedIntents, now: state.now, in: transaction)
        for id in forgotten {
            try transaction.delete(Array(id.utf8), in: schema.intents)
        }
        try deleteDueEntries(in: schema.closedIntents, count: forgotten.count, in: transaction)
        return .housekept(expiredIntents: state.expiredIntents, purgedNames: dueNames.count, forgottenIntents: forgotten.count)
    }

    /// Expires every open intent whose lease has ended, each with an `expire` record in the
    /// name of the peer that began it, counted in `state.expiredIntents`. Not capped by
    /// `purgeBatch`: an intent left open past its lease could still be committed or
    /// aborted by this batch.
    func expireDueIntents(state: inout BatchState, in transaction: borrowing WriteTransaction) throws {
        let due = try dueEntries(in: schema.intentExpiry, now: state.now, limit: .max, in: transaction)
        for id in due {
            guard let intent = try intent(id, in: transaction) else { continue }
            _ = try close(id, as: .expire, peer: intent.peer, state: &state, in: transaction)
            state.expiredIntents += 1
        }
    }

    /// The ids in an expiry index whose time has come, oldest first, at most `limit`
    /// (`purgeBatch` when not given).
    func dueEntries(
        in database: Database, now: Milliseconds, limit: Int? = nil, in transaction: borrowing WriteTransaction
    ) throws -> [String] {
        let limit = limit ?? options.purgeBatch
        return try transaction.withCursor(on: database) { cursor in
            var due: [String] = []
            var entry = try cursor.first()
            while let current = entry, due.count < limit {
                let time = try ByteReader.bigEndian(UnsafeRawBufferPointer(rebasing: current.key[0..<8]))
                guard time <= now else { break }
                due.append(String(decoding: current.key[8...], as: UTF8.self))
                entry = try cursor.next()
            }
            return due
        }
    }

    private func deleteDueEntries(in database: Database, count: Int, in transaction: borrowing WriteTransaction) throws {
        try transaction.withCursor(on: database) { cursor in
            for _ in 0..<count {
                guard try cursor.first() != nil else { return }
                try cursor.deleteCurrent()
            }
        }
    }

    static func randomIntentID() -> String {
        Epoch.random().hex
    }
}
