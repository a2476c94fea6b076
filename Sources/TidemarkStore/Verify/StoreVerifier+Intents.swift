import LMDB

extension StoreVerifier {
    /// Checks every intent the retained log speaks of against `intents`, and every stored
    /// open intent against the log. Returns the stored open intents.
    mutating func checkIntents<Transaction: TransactionReading & ~Copyable>(
        in transaction: borrowing Transaction
    ) throws -> [Intent] {
        var stored: [String: Intent] = [:]
        var undecodable: [(id: String, problem: String)] = []
        try transaction.withCursor(on: schema.intents) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                let id = String(decoding: current.key, as: UTF8.self)
                do {
                    stored[id] = try StoredCoding.decodeIntent(id: id, current.value)
                } catch {
                    undecodable.append((id, Self.problem(error)))
                }
                entry = try cursor.next()
            }
        }
        report.intents = stored.count + undecodable.count
        for (id, problem) in undecodable {
            add(.intent, "intent \(id)", expected: "a decodable intent", found: problem)
        }

        // What the retained records say.
        for (id, beginLSN) in begins.sorted(by: { $0.value < $1.value }) {
            let intent = stored[id]
            if let intent, intent.beginLSN != beginLSN {
                add(.intent, "intent \(id)", expected: "begin LSN \(beginLSN)", found: "\(intent.beginLSN)")
            }
            if closings[id] == nil {
                // A closed intent may be forgotten, but one never closed must be remembered open.
                add(ifNot: .open, "intent \(id)", expected: "open (begun at \(beginLSN), no closing record)", intent)
            }
        }
        for (id, closing) in closings.sorted(by: { $0.value.lsn < $1.value.lsn }) {
            guard let intent = stored[id] else { continue }
            let state: IntentState = switch closing.kind {
            case .commit: .committed
            case .abort: .aborted
            default: .expired
            }
            add(ifNot: state, "intent \(id)", expected: "\(state.rawValue) (\(closing.kind.rawValue) record \(closing.lsn))", intent)
            if let beginLSN = begins[id], beginLSN > closing.lsn {
                add(.intent, "intent \(id)", expected: "begun before its \(closing.kind.rawValue) at \(closing.lsn)", found: "begun at \(beginLSN)")
            }
        }

        // What the stored open intents say.
        let open = stored.values.filter { $0.state == .open }.sorted { $0.beginLSN < $1.beginLSN }
        for intent in open where intent.beginLSN >= oldest && begins[intent.id] == nil {
            add(.intent, "intent \(intent.id)", expected: "a retained begin record at \(intent.beginLSN)", found: "none")
        }

        // intent_expiry lists exactly the open intents, at their lease ends.
        var expected: [[UInt8]: String] = [:]
        for intent in open { expected[Schema.expiryKey(intent.expiresAt, intent.id)] = intent.id }
        let entries = Set(try allKeys(of: schema.intentExpiry, in: transaction))
        for intent in open where !entries.contains(Schema.expiryKey(intent.expiresAt, intent.id)) {
            add(.intentExpiry, "intent \(intent.id)", expected: "an entry at \(intent.expiresAt) (the intent is open)", found: "none")
        }
        for key in entries.sorted(by: { $0.lexicographicallyPrecedes($1) }) where expected[key] == nil {
            guard let split = Self.splitExpiryKey(key) else {
                add(.intentExpiry, "key \(Self.hex(key))", expected: "(lease end, intent id)", found: "\(key.count) bytes")
                continue
            }
            let state = stored[split.id]?.state.rawValue ?? "unknown"
            add(.intentExpiry, "intent \(split.id)", expected: "no entry at \(split.time) (the intent is \(state))", found: "an entry")
        }
        return open
    }

    private mutating func add(ifNot state: IntentState, _ subject: String, expected: String, _ intent: Intent?) {
        guard intent?.state != state else { return }
        add(.intent, subject, expected: expected, found: intent?.state.rawValue ?? "missing")
    }

    /// The pending counts must be what the open intents add up to, the way `begin` counts
    /// them: per change, per table and per key.
    mutating func checkPending<Transaction: TransactionReading & ~Copyable>(
        _ open: [Intent], in transaction: borrowing Transaction
    ) throws {
        var tables: [String: (any: UInt64, wide: UInt64)] = [:]
        var keys: [[UInt8]: UInt64] = [:]
        for intent in open {
            for change in intent.changes {
                let counts = tables[change.table] ?? (0, 0)
                tables[change.table] = (counts.any + 1, counts.wide + (change.isWide ? 1 : 0))
                for key in change.keys ?? [] { keys[Schema.keyKey(table: change.table, key: key), default: 0] += 1 }
            }
        }

        let storedTables = try allKeys(of: schema.pendingTables, in: transaction).map { String(decoding: $0, as: UTF8.self) }
        for table in Set(storedTables).union(tables.keys).sorted() {
            let found: (any: UInt64, wide: UInt64)
            do {
                found = try store.pendingCounts(table, in: transaction)
            } catch let error as StoreError {
                add(.pendingTable, table, expected: "two big-endian counts", found: error.message)
                continue
            }
            let wanted = tables[table] ?? (0, 0)
            if found != wanted {
                add(
                    .pendingTable, table, expected: "\(wanted.any) open intents (\(wanted.wide) wide)",
                    found: "\(found.any) (\(found.wide) wide)")
            }
        }

        var storedKeys: [[UInt8]: UInt64] = [:]
        try transaction.withCursor(on: schema.pendingKeys) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                do {
                    storedKeys[current.keyBytes] = try ByteReader.bigEndian(current.value)
                } catch {
                    add(.pendingKey, Self.describeDepKey(current.keyBytes), expected: "a big-endian count", found: Self.problem(error))
                }
                entry = try cursor.next()
            }
        }
        for key in Set(storedKeys.keys).union(keys.keys).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let wanted = keys[key] ?? 0
            let found = storedKeys[key] ?? 0
            if found != wanted {
                add(.pendingKey, Self.describeDepKey(key), expected: "\(wanted) open intents", found: "\(found)")
            }
        }
    }
}
