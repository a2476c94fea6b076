import TidemarkStore

/// The mirror's named entries: the live ones with a reverse index from each version key
/// to the names that depend on it, the ones a write dropped (their etcd keys still to be
/// deleted), and when each live one expires.
///
/// A name is live from its `n/<name>` put until a put of a version key it depends on at
/// a later revision: that is the write that drops it, as LMDB drops it in the write's
/// transaction. Its etcd key is deleted afterwards by whichever server sweeps first.
struct MirroredNames: Sendable {
    struct Entry: Sendable {
        var name: StoredName
        /// `mod_revision` of its `n/<name>` key: a sweep deletes it only if still that one.
        var revision: Int64
        /// The version keys whose put drops it.
        var keys: [[UInt8]]
    }

    let layout: EtcdLayout
    private(set) var live: [String: Entry] = [:]
    private var byVersionKey: [[UInt8]: Set<String>] = [:]
    /// A dropped or expired name whose etcd key is still there.
    struct Unswept: Sendable, Equatable {
        /// The key's `mod_revision`: a sweep deletes it only if it is still that one.
        var revision: Int64
        /// The server (writer id) to sweep it first: the one whose write dropped it, or
        /// that registered it; nil for any.
        var owner: String?
        var since: ContinuousClock.Instant
    }

    private(set) var toDelete: [String: Unswept] = [:]
    /// Live names by the 100 ms tick in which they expire, ticks kept sorted.
    private var expiring: [UInt64: Set<String>] = [:]
    private var ticks: [UInt64] = []

    init(layout: EtcdLayout) {
        self.layout = layout
    }

    /// A put of `n/<name>`. A name whose dep was already advanced past its stamp (a write
    /// that raced its register) is dropped at once.
    mutating func put(_ name: String, _ stored: StoredName, revision: Int64, versions: [[UInt8]: Int64]) {
        remove(name)
        let keys = Array(Set(stored.tidemarkDeps.flatMap(layout.versionKeys(of:))))
        if keys.contains(where: { (versions[$0] ?? 0) > Int64(stored.lsn) }) {
            toDelete[name] = Unswept(revision: revision, owner: nil, since: .now)
            return
        }
        toDelete[name] = nil
        live[name] = Entry(name: stored, revision: revision, keys: keys)
        keys.forEach { byVersionKey[$0, default: []].insert(name) }
        let tick = Self.tick(stored.expiresAt)
        if expiring[tick, default: []].insert(name).inserted, expiring[tick]?.count == 1 {
            ticks.insert(tick, at: ticks.partitioningIndex { $0 >= tick })
        }
    }

    /// The `n/<name>` key is gone from etcd.
    mutating func delete(_ name: String) {
        remove(name)
        toDelete[name] = nil
    }

    /// A put of `versionKey` at `revision` by the server `writer`: the live names it drops.
    mutating func advance(_ versionKey: [UInt8], at revision: Int64, by writer: String?) -> [String] {
        guard let names = byVersionKey[versionKey] else { return [] }
        let dropped = names.filter { (live[$0].map { Int64($0.name.lsn) < revision }) ?? false }.sorted()
        let now = ContinuousClock.now
        for name in dropped {
            if let entry = live[name] { toDelete[name] = Unswept(revision: entry.revision, owner: writer, since: now) }
            remove(name)
        }
        return dropped
    }

    /// Whether any live name depends on one of `versionKeys`.
    func dependsOnAny(of versionKeys: [[UInt8]]) -> Bool {
        versionKeys.contains { byVersionKey[$0]?.isEmpty == false }
    }

    /// Moves the live names expired by `now` (milliseconds since 1970) to `toDelete`.
    mutating func expire(now: Milliseconds) {
        // A tick ends after every expiry in it, so all of its names are due.
        while let first = ticks.first, first * 100 <= now {
            for name in expiring[first] ?? [] {
                if let entry = live[name] { toDelete[name] = Unswept(revision: entry.revision, owner: entry.name.by, since: .now) }
                remove(name)
            }
            if ticks.first == first {
                expiring[first] = nil
                ticks.removeFirst()
            }
        }
    }

    /// The names for server `writer` to sweep now: its own, and any other server's left
    /// for `grace` (that server may be gone).
    func due(for writer: String, grace: Duration) -> [(name: String, revision: Int64)] {
        let now = ContinuousClock.now
        return toDelete.filter { _, unswept in
            unswept.owner == nil || unswept.owner == writer || now - unswept.since >= grace
        }.map { ($0.key, $0.value.revision) }.sorted { $0.name < $1.name }
    }

    /// A sweep deleted (or found gone) these keys.
    mutating func swept(_ names: [String: Int64]) {
        for (name, revision) in names where toDelete[name]?.revision == revision { toDelete[name] = nil }
    }

    private mutating func remove(_ name: String) {
        guard let entry = live.removeValue(forKey: name) else { return }
        for key in entry.keys {
            byVersionKey[key]?.remove(name)
            if byVersionKey[key]?.isEmpty == true { byVersionKey[key] = nil }
        }
        let tick = Self.tick(entry.name.expiresAt)
        expiring[tick]?.remove(name)
        if expiring[tick]?.isEmpty == true {
            expiring[tick] = nil
            let index = ticks.partitioningIndex { $0 >= tick }
            if index < ticks.count, ticks[index] == tick { ticks.remove(at: index) }
        }
    }

    /// The 100 ms tick at whose end `time` has passed.
    private static func tick(_ time: Milliseconds) -> UInt64 { time / 100 + 1 }
}

extension Array where Element: Comparable {
    /// The first index whose element satisfies `belongs`, for a predicate false then true
    /// along the array.
    fileprivate func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if belongs(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
