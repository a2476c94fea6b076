import LMDB

extension LMDBStore {
    /// Stores `name` only if its stamp is valid right now (open intents included); a
    /// refused registration also drops an earlier entry of the name.
    func register(
        name: String, stamp: Stamp, deps: [Dep], ttl: Milliseconds,
        state: BatchState, in transaction: borrowing WriteTransaction
    ) throws -> MutationOutcome {
        let validity = try validity(of: stamp, deps: deps, currentLSN: state.lsn, in: transaction)
        try removeName(name, in: transaction)
        guard validity.isValid else { return .registered(registered: false, valid: false) }
        var uniqueDeps: [Dep] = []
        var seen = Set<Dep>()
        for dep in deps where seen.insert(dep).inserted { uniqueDeps.append(dep) }
        let entry = NamedEntry(name: name, stamp: stamp, deps: uniqueDeps, expiresAt: state.deadline(after: ttl))
        let nameBytes = Array(name.utf8)
        try transaction.put(StoredCoding.encode(entry), forKey: nameBytes, in: schema.names)
        for dep in uniqueDeps {
            try transaction.put(nameBytes, forKey: Schema.depKey(dep), in: schema.nameDeps)
        }
        try transaction.put([], forKey: Schema.expiryKey(entry.expiresAt, name), in: schema.nameExpiry)
        return .registered(registered: true, valid: true)
    }

    func removeName(_ name: String, in transaction: borrowing WriteTransaction) throws {
        guard let entry = try namedEntry(name, in: transaction) else { return }
        let nameBytes = Array(name.utf8)
        try transaction.delete(nameBytes, in: schema.names)
        for dep in entry.deps {
            try transaction.delete(Schema.depKey(dep), value: nameBytes, in: schema.nameDeps)
        }
        try transaction.delete(Schema.expiryKey(entry.expiresAt, name), in: schema.nameExpiry)
    }

    /// Drops every name that depends on something `changes` advanced and returns them in
    /// the order found: a keyed change reaches the table dep and the keys' deps; a wide
    /// change reaches every dep of the table.
    func invalidateNames(dependingOn changes: [Change], in transaction: borrowing WriteTransaction) throws -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        try transaction.withCursor(on: schema.nameDeps) { cursor in
            for change in changes {
                let prefix = Schema.tablePrefix(change.table)
                if let keys = change.keys {
                    for depKey in [prefix] + keys.map({ Schema.keyKey(table: change.table, key: $0) }) {
                        var entry = try cursor.seek(exactly: depKey)
                        while let current = entry {
                            let name = String(decoding: current.value, as: UTF8.self)
                            if seen.insert(name).inserted { found.append(name) }
                            entry = try cursor.nextDuplicate()
                        }
                    }
                } else {
                    var entry = try cursor.seek(atLeast: prefix)
                    while let current = entry, current.keyHasPrefix(prefix) {
                        let name = String(decoding: current.value, as: UTF8.self)
                        if seen.insert(name).inserted { found.append(name) }
                        entry = try cursor.next()
                    }
                }
            }
        }
        for name in found { try removeName(name, in: transaction) }
        return found
    }
}
