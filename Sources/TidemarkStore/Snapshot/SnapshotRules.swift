import LMDB

/// The reading rules of a data directory: version and pending-intent lookups and the
/// validity rule, over any transaction. The server's store answers with them inside its
/// snapshots and its write transaction (so a `register` decides validity by the same rules
/// as a `check`), and a same-host local reader (`SnapshotReader`) answers with the very
/// same code from its own snapshots of the file, so the two cannot disagree.
protocol SnapshotRules {
    var schema: Schema { get }
    var epoch: Epoch { get }
    var limits: StoreLimits { get }
}

extension LMDBStore: SnapshotRules {}

/// What the `tables` database keeps for one table.
struct TableVersions {
    /// ver(table): the last record that changed the table in any way.
    var table: LSN = 0
    /// The last record that changed the table wide; it raises every key's version.
    var wide: LSN = 0
}

extension SnapshotRules {
    func currentLSN<Transaction: TransactionReading & ~Copyable>(in transaction: borrowing Transaction) throws -> LSN {
        try metaValue(Schema.MetaKey.lsn, in: transaction)
    }

    func oldestLSN<Transaction: TransactionReading & ~Copyable>(in transaction: borrowing Transaction) throws -> LSN {
        try metaValue(Schema.MetaKey.oldest, in: transaction)
    }

    private func metaValue<Transaction: TransactionReading & ~Copyable>(
        _ key: [UInt8], in transaction: borrowing Transaction
    ) throws -> UInt64 {
        guard let value = try transaction.withValue(in: schema.meta, forKey: key, { try ByteReader.bigEndian($0) }) else {
            throw StoreError(.corrupted, "the store has no \(String(decoding: key, as: UTF8.self)) entry")
        }
        return value
    }

    func tableVersions<Transaction: TransactionReading & ~Copyable>(
        _ table: String, in transaction: borrowing Transaction
    ) throws -> TableVersions {
        try transaction.withValue(in: schema.tables, forKey: Schema.tableKey(table)) { bytes in
            var reader = ByteReader(bytes)
            return TableVersions(table: try reader.readBigEndian(), wide: try reader.readBigEndian())
        } ?? TableVersions()
    }

    func version<Transaction: TransactionReading & ~Copyable>(
        of dep: Dep, in transaction: borrowing Transaction
    ) throws -> LSN {
        let versions = try tableVersions(dep.table, in: transaction)
        guard let key = dep.key else { return versions.table }
        let keyVersion = try transaction.withValue(
            in: schema.keys, forKey: Schema.keyKey(table: dep.table, key: key), { try ByteReader.bigEndian($0) }) ?? 0
        return max(keyVersion, versions.wide)
    }

    /// Whether an open intent covers `dep`: any open intent on its table covers a table
    /// dep; a key dep is covered by an open wide intent on the table or one naming the key.
    func isPending<Transaction: TransactionReading & ~Copyable>(
        _ dep: Dep, in transaction: borrowing Transaction
    ) throws -> Bool {
        let counts = try pendingCounts(dep.table, in: transaction)
        guard let key = dep.key else { return counts.any > 0 }
        if counts.wide > 0 { return true }
        guard counts.any > 0 else { return false }
        let keyed = try transaction.withValue(
            in: schema.pendingKeys, forKey: Schema.keyKey(table: dep.table, key: key), { try ByteReader.bigEndian($0) })
        return (keyed ?? 0) > 0
    }

    func pendingCounts<Transaction: TransactionReading & ~Copyable>(
        _ table: String, in transaction: borrowing Transaction
    ) throws -> (any: UInt64, wide: UInt64) {
        try transaction.withValue(in: schema.pendingTables, forKey: Schema.tableKey(table)) { bytes in
            var reader = ByteReader(bytes)
            return (try reader.readBigEndian(), try reader.readBigEndian())
        } ?? (0, 0)
    }

    /// The validity rule of the brief: epoch, then future, then changed, then pending.
    func validity<Transaction: TransactionReading & ~Copyable>(
        of stamp: Stamp, deps: [Dep], currentLSN: LSN, in transaction: borrowing Transaction
    ) throws -> Validity {
        guard stamp.epoch == epoch else { return Validity(reason: .epoch) }
        guard stamp.lsn <= currentLSN else { return Validity(reason: .future) }
        var changed: [VersionedDep] = []
        var pending: [Dep] = []
        for dep in deps {
            let version = try version(of: dep, in: transaction)
            if version > stamp.lsn { changed.append(VersionedDep(dep: dep, version: version)) }
            if try isPending(dep, in: transaction) { pending.append(dep) }
        }
        let reason: InvalidReason? = !changed.isEmpty ? .changed : (!pending.isEmpty ? .pending : nil)
        return Validity(reason: reason, changed: changed, pending: pending)
    }

    func namedEntry<Transaction: TransactionReading & ~Copyable>(
        _ name: String, in transaction: borrowing Transaction
    ) throws -> NamedEntry? {
        try transaction.withValue(in: schema.names, forKey: Array(name.utf8)) {
            try StoredCoding.decodeNamedEntry(name: name, $0)
        }
    }

    func intent<Transaction: TransactionReading & ~Copyable>(
        _ id: String, in transaction: borrowing Transaction
    ) throws -> Intent? {
        guard !id.isEmpty, id.utf8.count <= limits.maxNameBytes else { return nil }
        return try transaction.withValue(in: schema.intents, forKey: Array(id.utf8)) {
            try StoredCoding.decodeIntent(id: id, $0)
        }
    }

    /// `stamp`: versions of `deps` and whether any is pending, read in `transaction`.
    func stampAnswer<Transaction: TransactionReading & ~Copyable>(
        _ deps: [Dep], in transaction: borrowing Transaction
    ) throws -> StampResult {
        var versions: [LSN] = []
        versions.reserveCapacity(deps.count)
        var cacheable = true
        for dep in deps {
            versions.append(try version(of: dep, in: transaction))
            if cacheable, try isPending(dep, in: transaction) { cacheable = false }
        }
        return StampResult(epoch: epoch, lsn: try currentLSN(in: transaction), versions: versions, cacheable: cacheable)
    }

    /// `check`: every query answered from the one snapshot `transaction`, names expiring
    /// by the wall time `now`.
    func checkAnswers<Transaction: TransactionReading & ~Copyable>(
        _ queries: [CheckQuery], now: Milliseconds, in transaction: borrowing Transaction
    ) throws -> [Validity] {
        let lsn = try currentLSN(in: transaction)
        return try queries.map { query in
            switch query {
            case .stamp(let stamp, let deps):
                return try validity(of: stamp, deps: deps, currentLSN: lsn, in: transaction)
            case .name(let name):
                guard let entry = try namedEntry(name, in: transaction) else { return Validity(reason: .unknown) }
                guard entry.expiresAt > now else { return Validity(reason: .expired) }
                return try validity(of: entry.stamp, deps: entry.deps, currentLSN: lsn, in: transaction)
            }
        }
    }

    /// Checks every query against the store's limits, naming the field at fault.
    func validate(_ queries: [CheckQuery]) throws(StoreError) {
        for (index, query) in queries.enumerated() {
            // Both field names are built only for an error.
            switch query {
            case .stamp(_, let deps):
                try limits.validate(deps, field: (queries.count == 1 ? "" : "entries[\(index)].") + "deps")
            case .name(let name):
                try limits.validate(name: name, field: (queries.count == 1 ? "" : "entries[\(index)].") + "name")
            }
        }
    }
}
