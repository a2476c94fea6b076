import TidemarkStore

/// Where Tidemark's state lives under its prefix in etcd (protocol/ETCD.md, "The mapping").
/// Names are length-prefixed (`t/5:users`), so no table or key, whatever bytes it holds,
/// can make two different deps share an etcd key.
struct EtcdLayout: Sendable {
    let prefix: [UInt8]

    var epoch: [UInt8] { prefix + Array("epoch".utf8) }
    /// Put by every write: a linearizable read of its `mod_revision` is the newest LSN.
    var head: [UInt8] { prefix + Array("h".utf8) }
    var records: [UInt8] { prefix + Array("r/".utf8) }
    /// The oldest LSN the log keeps (8 bytes, big-endian); absent before any `compact`.
    var oldest: [UInt8] { prefix + Array("o".utf8) }
    /// Open intents (`i/<id>`), not leased: an intent ends only by a Txn that records it.
    var intents: [UInt8] { prefix + Array("i/".utf8) }
    /// One key per open intent bound to its etcd lease: its deletion tells every server
    /// the lease ran out.
    var leases: [UInt8] { prefix + Array("l/".utf8) }
    /// Closed intents' states, kept for about an hour to answer a late commit or abort.
    var closed: [UInt8] { prefix + Array("c/".utf8) }
    /// Named entries (`n/<name>`): the name is the key's last part, so it needs no length.
    var names: [UInt8] { prefix + Array("n/".utf8) }

    func intent(_ id: String) -> [UInt8] { intents + Array(id.utf8) }
    func lease(_ id: String) -> [UInt8] { leases + Array(id.utf8) }
    func closed(_ id: String) -> [UInt8] { closed + Array(id.utf8) }
    func name(_ name: String) -> [UInt8] { names + Array(name.utf8) }

    func table(_ table: String) -> [UInt8] { named("t/", table) }
    func wide(_ table: String) -> [UInt8] { named("w/", table) }
    func key(_ table: String, _ key: String) -> [UInt8] { named("k/", table) + Array(key.utf8) }
    /// The highest position recorded for an external stream (8 bytes, big-endian).
    func source(_ name: String) -> [UInt8] { named("s/", name) }
    /// One server's saved activity counters (`stats`' per-table figures).
    func activity(_ server: String) -> [UInt8] { named("a/", server) }
    var activities: [UInt8] { prefix + Array("a/".utf8) }
    var sources: [UInt8] { prefix + Array("s/".utf8) }

    /// Whether `key` is a table, wide or key version key.
    func isVersionKey(_ key: [UInt8]) -> Bool {
        guard key.starts(with: prefix), key.count > prefix.count + 1, key[prefix.count + 1] == UInt8(ascii: "/") else {
            return false
        }
        return [UInt8(ascii: "t"), UInt8(ascii: "w"), UInt8(ascii: "k")].contains(key[prefix.count])
    }
    func record(writer: String, sequence: UInt64) -> [UInt8] {
        records + Array("\(writer)/\(String(sequence, radix: 16))".utf8)
    }

    /// The writer id in a record key; nil for any other key.
    func writer(ofRecord key: [UInt8]) -> String? {
        guard key.starts(with: records), let slash = key[records.count...].firstIndex(of: UInt8(ascii: "/")) else { return nil }
        return String(decoding: key[records.count..<slash], as: UTF8.self)
    }

    private func named(_ kind: String, _ name: String) -> [UInt8] {
        prefix + Array(kind.utf8) + Array("\(name.utf8.count):".utf8) + Array(name.utf8)
    }

    /// The version keys a dep's version is read from: its table's, or its key's and its
    /// table's wide one (`EtcdVersions.version(of:in:)`).
    func versionKeys(of dep: Dep) -> [[UInt8]] {
        guard let key = dep.key else { return [table(dep.table)] }
        return [self.key(dep.table, key), wide(dep.table)]
    }

    /// The version keys a write of `changes` puts (each once: etcd refuses a Txn that
    /// puts one key twice).
    func versionKeys(of changes: [Change]) -> [[UInt8]] {
        var keys: [[UInt8]] = []
        var seen: Set<[UInt8]> = []
        func add(_ key: [UInt8]) { if seen.insert(key).inserted { keys.append(key) } }
        for change in changes {
            add(table(change.table))
            if let changed = change.keys {
                changed.forEach { add(key(change.table, $0)) }
            } else {
                add(wide(change.table))
            }
        }
        return keys
    }
}
