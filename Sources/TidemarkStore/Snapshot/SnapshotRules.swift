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
        try Schema.withTableKey(table) { key in
            try transaction.withValue(in: schema.tables, forKeyBytes: key) { bytes in
                var reader = ByteReader(bytes)
                return TableVersions(table: try reader.readBigEndian(), wide: try reader.readBigEndian())
            }
        } ?? TableVersions()
    }

    func version<Transaction: TransactionReading & ~Copyable>(
        of dep: Dep, in transaction: borrowing Transaction
    ) throws -> LSN {
        try version(of: dep, table: TableRow(versions: tableVersions(dep.table, in: transaction)), in: transaction)
    }

    /// ver(dep), given its table's row.
    func version<Transaction: TransactionReading & ~Copyable>(
        of dep: Dep, table row: TableRow, in transaction: borrowing Transaction
    ) throws -> LSN {
        guard let key = dep.key else { return row.versions.table }
        let keyVersion = try Schema.withKeyKey(table: dep.table, key: key) { bytes in
            try transaction.withValue(in: schema.keys, forKeyBytes: bytes) { try ByteReader.bigEndian($0) }
        } ?? 0
        return max(keyVersion, row.versions.wide)
    }

    /// Whether an open intent covers `dep`: any open intent on its table covers a table
    /// dep; a key dep is covered by an open wide intent on the table or one naming the key.
    func isPending<Transaction: TransactionReading & ~Copyable>(
        _ dep: Dep, table row: TableRow, in transaction: borrowing Transaction
    ) throws -> Bool {
        guard let key = dep.key else { return row.pendingAny > 0 }
        if row.pendingWide > 0 { return true }
        guard row.pendingAny > 0 else { return false }
        let keyed = try Schema.withKeyKey(table: dep.table, key: key) { bytes in
            try transaction.withValue(in: schema.pendingKeys, forKeyBytes: bytes) { try ByteReader.bigEndian($0) }
        }
        return (keyed ?? 0) > 0
    }

    func pendingCounts<Transaction: TransactionReading & ~Copyable>(
        _ table: String, in transaction: borrowing Transaction
    ) throws -> (any: UInt64, wide: UInt64) {
        let row = try pendingRow(table, in: transaction)
        return (row.pendingAny, row.pendingWide)
    }

    /// A row with only the open-intent counts of `table` filled in. Read as a struct, not a
    /// tuple, whose type metadata would be looked up at run time on every read.
    private func pendingRow<Transaction: TransactionReading & ~Copyable>(
        _ table: String, in transaction: borrowing Transaction
    ) throws -> TableRow {
        try Schema.withTableKey(table) { key in
            try transaction.withValue(in: schema.pendingTables, forKeyBytes: key) { bytes in
                var reader = ByteReader(bytes)
                return TableRow(pendingAny: try reader.readBigEndian(), pendingWide: try reader.readBigEndian())
            }
        } ?? TableRow()
    }

    /// Both rows of `table`: its versions and its open intents.
    func tableRow<Transaction: TransactionReading & ~Copyable>(
        _ table: String, in transaction: borrowing Transaction
    ) throws -> TableRow {
        var row = try pendingRow(table, in: transaction)
        row.versions = try tableVersions(table, in: transaction)
        return row
    }

    /// The validity rule of the brief: epoch, then future, then changed, then pending.
    func validity<Transaction: TransactionReading & ~Copyable>(
        of stamp: Stamp, deps: [Dep], currentLSN: LSN, in transaction: borrowing Transaction
    ) throws -> Validity {
        guard stamp.epoch == epoch else { return Validity(reason: .epoch) }
        guard stamp.lsn <= currentLSN else { return Validity(reason: .future) }
        var changed: [VersionedDep] = []
        var pending: [Dep] = []
        var tables = TableRows()
        for dep in deps {
            let row = try tables.row(for: dep.table) { try tableRow($0, in: transaction) }
            let version = try version(of: dep, table: row, in: transaction)
            if version > stamp.lsn { changed.append(VersionedDep(dep: dep, version: version)) }
            if try isPending(dep, table: row, in: transaction) { pending.append(dep) }
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
        var tables = TableRows()
        for dep in deps {
            let row = try tables.row(for: dep.table) { try tableRow($0, in: transaction) }
            versions.append(try version(of: dep, table: row, in: transaction))
            if cacheable, try isPending(dep, table: row, in: transaction) { cacheable = false }
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
        try limits.validate(queries)
    }
}
