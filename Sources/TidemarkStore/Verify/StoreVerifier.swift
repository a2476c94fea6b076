import LMDB

/// Replays the retained change log inside one read snapshot and compares what it implies
/// with the stored versions, intents, pending counts and names. Everything is read with the
/// store's own key builders and decoders, so the check cannot drift from what it checks.
///
/// Compaction only drops records below `oldest`, so the retained log says exactly which
/// versions it must explain: a version advanced by a retained record equals the last one
/// that did, and a version no retained record advanced lies below `oldest`.
struct StoreVerifier {
    let store: LMDBStore
    var report: VerificationReport

    /// The stored LSN and oldest, or (when unreadable) what the log suggests.
    var lsn: LSN = 0
    var oldest: LSN = 1

    // Replay of the retained records, keyed by the store's own keys.
    /// table -> the last retained record that advanced it.
    var replayedTables: [String: LSN] = [:]
    /// table -> the last retained wide change of it.
    var replayedWide: [String: LSN] = [:]
    /// `Schema.keyKey` -> the last retained record naming the key.
    var replayedKeys: [[UInt8]: LSN] = [:]
    /// intent id -> its retained `begin` record.
    var begins: [String: LSN] = [:]
    /// intent id -> its retained `commit`, `abort` or `expire` record.
    var closings: [String: (lsn: LSN, kind: RecordKind)] = [:]

    init(store: LMDBStore) {
        self.store = store
        report = VerificationReport(epoch: store.epoch)
    }

    var schema: Schema { store.schema }

    mutating func add(_ kind: Discrepancy.Kind, _ subject: String, expected: String, found: String) {
        report.discrepancies.append(Discrepancy(kind: kind, subject: subject, expected: expected, found: found))
    }

    mutating func run<Transaction: TransactionReading & ~Copyable>(in transaction: borrowing Transaction) throws {
        try checkMetaAndLog(in: transaction)
        try checkVersions(in: transaction)
        let open = try checkIntents(in: transaction)
        try checkPending(open, in: transaction)
        try checkNames(in: transaction)
        try checkSources(in: transaction)
        try checkJournal(in: transaction)
    }

    // MARK: Meta and log

    private mutating func checkMetaAndLog<Transaction: TransactionReading & ~Copyable>(
        in transaction: borrowing Transaction
    ) throws {
        let store = self.store
        let storedLSN = try readMeta("lsn", in: transaction) { try store.currentLSN(in: $0) }
        let storedOldest = try readMeta("oldest", in: transaction) { try store.oldestLSN(in: $0) }
        let format = try transaction.value(in: schema.meta, forKey: Schema.MetaKey.format)
        // Imported from a backend whose LSNs have gaps (PROTOCOL.md §16.7): gaps are its own.
        let sparse = try transaction.value(in: schema.meta, forKey: Schema.MetaKey.sparse) != nil
        if format != ByteWriter.bigEndian(Schema.formatVersion) {
            add(.meta, "format", expected: "\(Schema.formatVersion)", found: format.map { Self.hex($0) } ?? "none")
        }
        if let storedOldest, storedOldest == 0 {
            add(.meta, "oldest", expected: "at least 1", found: "0")
        }

        var first: LSN?
        var last: LSN?
        var records: [Record] = []
        var malformed: [(key: [UInt8], problem: String)] = []
        var undecodable: [(lsn: LSN, problem: String)] = []
        var gaps: [ClosedRange<LSN>] = []
        try transaction.withCursor(on: schema.log) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                if current.key.count != 8 {
                    malformed.append((current.keyBytes, "\(current.key.count) bytes"))
                } else {
                    let recordLSN = try ByteReader.bigEndian(current.key)
                    if let last, recordLSN != last + 1, !sparse { gaps.append(last + 1...recordLSN - 1) }
                    if first == nil { first = recordLSN }
                    last = recordLSN
                    do {
                        records.append(try StoredCoding.decodeRecord(lsn: recordLSN, current.value))
                    } catch {
                        undecodable.append((recordLSN, Self.problem(error)))
                    }
                }
                entry = try cursor.next()
            }
        }
        lsn = storedLSN ?? last ?? 0
        oldest = max(storedOldest ?? first ?? 1, 1)
        report.lsn = storedLSN ?? 0
        report.oldest = storedOldest ?? 0
        report.records = records.count + undecodable.count

        for (key, problem) in malformed {
            add(.log, "key \(Self.hex(key))", expected: "an 8-byte LSN", found: problem)
        }
        for gap in gaps {
            let subject = gap.count == 1 ? "lsn \(gap.lowerBound)" : "lsn \(gap.lowerBound)...\(gap.upperBound)"
            add(.log, subject, expected: "a record (LSNs are dense from oldest to lsn)", found: "missing")
        }
        if let first, sparse ? first < oldest : first != oldest {
            add(.log, "first record", expected: "\(oldest) (meta oldest)", found: "\(first)")
        }
        if let last {
            if last != lsn { add(.meta, "lsn", expected: "\(last) (the last record)", found: "\(lsn)") }
        } else if lsn != oldest - 1 {
            add(.meta, "lsn", expected: "\(oldest - 1) (oldest - 1: the log is empty)", found: "\(lsn)")
        }
        for (recordLSN, problem) in undecodable {
            add(.record, "lsn \(recordLSN)", expected: "a decodable record", found: problem)
        }
        for record in records { replay(record) }
    }

    private mutating func readMeta<Transaction: TransactionReading & ~Copyable>(
        _ name: String, in transaction: borrowing Transaction,
        _ read: (borrowing Transaction) throws -> LSN
    ) throws -> LSN? {
        do {
            return try read(transaction)
        } catch let error as StoreError {
            add(.meta, name, expected: "a big-endian LSN", found: error.message)
            return nil
        }
    }

    private mutating func replay(_ record: Record) {
        switch record.kind {
        case .write:
            break
        case .begin, .commit, .abort, .expire:
            guard let id = record.intent else {
                add(.record, "lsn \(record.lsn)", expected: "an intent id on a \(record.kind.rawValue) record", found: "none")
                break
            }
            if record.kind == .begin {
                begins[id] = record.lsn
            } else {
                closings[id] = (record.lsn, record.kind)
            }
        }
        guard record.kind.advancesVersions else { return }
        for change in record.changes {
            replayedTables[change.table] = record.lsn
            if change.isWide { replayedWide[change.table] = record.lsn }
            for key in change.keys ?? [] {
                replayedKeys[Schema.keyKey(table: change.table, key: key)] = record.lsn
            }
        }
    }

    // MARK: Versions

    private mutating func checkVersions<Transaction: TransactionReading & ~Copyable>(
        in transaction: borrowing Transaction
    ) throws {
        let storedTables = try allKeys(of: schema.tables, in: transaction).map { String(decoding: $0, as: UTF8.self) }
        report.tables = storedTables.count
        for table in Set(storedTables).union(replayedTables.keys).sorted() {
            let stored: TableVersions
            do {
                stored = try store.tableVersions(table, in: transaction)
            } catch let error as StoreError {
                add(.tableVersion, table, expected: "two big-endian LSNs", found: error.message)
                continue
            }
            compare(.tableVersion, table, stored: stored.table, replayed: replayedTables[table])
            compare(.wideVersion, table, stored: stored.wide, replayed: replayedWide[table])
            if stored.wide > stored.table {
                add(.wideVersion, table, expected: "at most ver(table) \(stored.table)", found: "\(stored.wide)")
            }
        }

        var storedKeys: [[UInt8]: LSN] = [:]
        try transaction.withCursor(on: schema.keys) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                do {
                    storedKeys[current.keyBytes] = try ByteReader.bigEndian(current.value)
                } catch {
                    add(.keyVersion, Self.describeDepKey(current.keyBytes), expected: "a big-endian LSN", found: Self.problem(error))
                }
                entry = try cursor.next()
            }
        }
        report.keys = storedKeys.count
        for key in Set(storedKeys.keys).union(replayedKeys.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            compare(.keyVersion, Self.describeDepKey(key), stored: storedKeys[key] ?? 0, replayed: replayedKeys[key])
        }
    }

    /// A version some retained record advanced must be the last such record's LSN; one
    /// that no retained record advanced must lie below `oldest`.
    private mutating func compare(_ kind: Discrepancy.Kind, _ subject: String, stored: LSN, replayed: LSN?) {
        if let replayed {
            if stored != replayed {
                add(kind, subject, expected: "\(replayed) (the last retained record that advanced it)", found: "\(stored)")
            }
        } else if stored >= oldest {
            add(kind, subject, expected: "below \(oldest) (no retained record advanced it)", found: "\(stored)")
        }
    }

    // MARK: Helpers

    func allKeys<Transaction: TransactionReading & ~Copyable>(
        of database: Database, in transaction: borrowing Transaction
    ) throws -> [[UInt8]] {
        try transaction.withCursor(on: database) { cursor in
            var keys: [[UInt8]] = []
            var entry = try cursor.first()
            while let current = entry {
                keys.append(current.keyBytes)
                entry = try cursor.next()
            }
            return keys
        }
    }

    /// `table` or `table:key` for a key built by `Schema.tablePrefix`/`Schema.keyKey`.
    static func describeDepKey(_ bytes: [UInt8]) -> String {
        guard let length = bytes.first, bytes.count >= 1 + Int(length) else { return hex(bytes) }
        let table = String(decoding: bytes[1..<1 + Int(length)], as: UTF8.self)
        let key = bytes[(1 + Int(length))...]
        return key.isEmpty ? table : table + ":" + String(decoding: key, as: UTF8.self)
    }

    /// (time, id) of a key built by `Schema.expiryKey`.
    static func splitExpiryKey(_ bytes: [UInt8]) -> (time: Milliseconds, id: String)? {
        guard bytes.count >= 8 else { return nil }
        let time = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return (time, String(decoding: bytes[8...], as: UTF8.self))
    }

    /// A decoding failure as text.
    static func problem(_ error: any Error) -> String {
        (error as? StoreError)?.message ?? "\(error)"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
