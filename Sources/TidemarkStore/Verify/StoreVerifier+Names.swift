import LMDB

extension StoreVerifier {
    private struct IndexEntry: Hashable {
        var dep: [UInt8]
        var name: [UInt8]
    }

    /// Every stored name must be valid against the stored versions and match its entries
    /// in `name_deps` and `name_expiry`, and those indexes must hold nothing else.
    mutating func checkNames<Transaction: TransactionReading & ~Copyable>(
        in transaction: borrowing Transaction
    ) throws {
        var entries: [NamedEntry] = []
        var undecodable: [(name: String, problem: String)] = []
        try transaction.withCursor(on: schema.names) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                let name = String(decoding: current.key, as: UTF8.self)
                do {
                    entries.append(try StoredCoding.decodeNamedEntry(name: name, current.value))
                } catch {
                    undecodable.append((name, Self.problem(error)))
                }
                entry = try cursor.next()
            }
        }
        report.names = entries.count + undecodable.count
        for (name, problem) in undecodable {
            add(.name, "name \(name)", expected: "a decodable named entry", found: problem)
        }
        let storedNames = Set(entries.map(\.name)).union(undecodable.map(\.name))

        var expectedIndex = Set<IndexEntry>()
        var expectedExpiry = Set<[UInt8]>()
        for entry in entries {
            let subject = "name \(entry.name)"
            if entry.stamp.epoch != store.epoch {
                add(.name, subject, expected: "epoch \(store.epoch.hex)", found: "epoch \(entry.stamp.epoch.hex)")
            }
            if entry.stamp.lsn > lsn {
                add(.name, subject, expected: "a stamp at or below the current LSN \(lsn)", found: "\(entry.stamp.lsn)")
            }
            for dep in entry.deps {
                let version = try store.version(of: dep, in: transaction)
                if version > entry.stamp.lsn {
                    add(
                        .name, subject, expected: "ver(\(dep)) at or below its stamp \(entry.stamp.lsn) (else invalidated)",
                        found: "\(version)")
                }
                expectedIndex.insert(IndexEntry(dep: Schema.depKey(dep), name: Array(entry.name.utf8)))
            }
            expectedExpiry.insert(Schema.expiryKey(entry.expiresAt, entry.name))
        }

        var index = Set<IndexEntry>()
        try transaction.withCursor(on: schema.nameDeps) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                index.insert(IndexEntry(dep: current.keyBytes, name: current.valueBytes))
                entry = try cursor.next()
            }
        }
        for missing in expectedIndex.subtracting(index).sorted(by: Self.indexOrder) {
            add(
                .nameDeps, "name \(String(decoding: missing.name, as: UTF8.self)) dep \(Self.describeDepKey(missing.dep))",
                expected: "an index entry", found: "none")
        }
        for extra in index.subtracting(expectedIndex).sorted(by: Self.indexOrder) {
            let name = String(decoding: extra.name, as: UTF8.self)
            add(
                .nameDeps, "dep \(Self.describeDepKey(extra.dep)) -> name \(name)", expected: "no entry",
                found: storedNames.contains(name) ? "an entry for a name that does not depend on it" : "an entry for a missing name")
        }

        let expiry = Set(try allKeys(of: schema.nameExpiry, in: transaction))
        for missing in expectedExpiry.subtracting(expiry).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let (time, name) = Self.splitExpiryKey(missing)!
            add(.nameExpiry, "name \(name)", expected: "an entry at \(time)", found: "none")
        }
        for extra in expiry.subtracting(expectedExpiry).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard let split = Self.splitExpiryKey(extra) else {
                add(.nameExpiry, "key \(Self.hex(extra))", expected: "(expiry, name)", found: "\(extra.count) bytes")
                continue
            }
            add(
                .nameExpiry, "name \(split.id)", expected: "no entry at \(split.time)",
                found: storedNames.contains(split.id) ? "an entry not matching the name's expiry" : "an entry for a missing name")
        }
    }

    private static func indexOrder(_ left: IndexEntry, _ right: IndexEntry) -> Bool {
        left.dep == right.dep ? left.name.lexicographicallyPrecedes(right.name) : left.dep.lexicographicallyPrecedes(right.dep)
    }
}
