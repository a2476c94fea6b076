import TidemarkStore

/// An open intent as stored in etcd (`i/<id>`): what its commit or expiry will advance,
/// who began it (an expiry is recorded in their name) and when its lease ends.
struct StoredIntent: Codable, Hashable, Sendable {
    var changes: [StoredChange]
    var meta: String?
    var pid: Int32?
    var uid: UInt32?
    var gid: UInt32?
    /// Milliseconds since 1970 by the clock of the server that began it.
    var expiresAt: UInt64
    /// The etcd lease its `l/<id>` key is bound to.
    var lease: Int64

    var tidemarkChanges: [Change] { changes.map(\.change) }
}

/// The mirror's index of open intents: which deps they cover, as the LMDB store's pending
/// counts do (a table dep is pending while any intent names its table; a key dep while
/// one names the key or changes its table wide).
struct PendingIntents: Sendable {
    struct Open: Sendable {
        var intent: StoredIntent
        /// `mod_revision` of its `i/<id>` key: a close compares it, so only one closes it.
        var revision: Int64
    }

    private(set) var open: [String: Open] = [:]
    private var tables: [String: (any: Int, wide: Int)] = [:]
    private var keys: [String: [String: Int]] = [:]

    mutating func add(_ id: String, _ intent: StoredIntent, revision: Int64) {
        remove(id)
        open[id] = Open(intent: intent, revision: revision)
        adjust(intent, by: 1)
    }

    mutating func remove(_ id: String) {
        guard let removed = open.removeValue(forKey: id) else { return }
        adjust(removed.intent, by: -1)
    }

    func isPending(_ dep: Dep) -> Bool {
        guard let counts = tables[dep.table], counts.any > 0 else { return false }
        guard let key = dep.key else { return true }
        return counts.wide > 0 || (keys[dep.table]?[key] ?? 0) > 0
    }

    private mutating func adjust(_ intent: StoredIntent, by delta: Int) {
        for change in intent.changes {
            var counts = tables[change.table] ?? (0, 0)
            counts.any += delta
            if change.keys == nil { counts.wide += delta }
            tables[change.table] = counts.any == 0 ? nil : counts
            for key in change.keys ?? [] {
                let count = (keys[change.table]?[key] ?? 0) + delta
                keys[change.table, default: [:]][key] = count == 0 ? nil : count
            }
            if keys[change.table]?.isEmpty == true { keys[change.table] = nil }
        }
    }
}
