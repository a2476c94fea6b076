/// The version rules of the brief, written as plainly as possible, to compare the server
/// against: ver(table) is the last record that changed the table; ver(table, key) the
/// last record that named the key or changed the table wide.
struct ReferenceModel {
    private(set) var lsn: UInt64 = 0
    private var tableVersions: [String: UInt64] = [:]
    private var wideVersions: [String: UInt64] = [:]
    private var keyVersions: [String: [String: UInt64]] = [:]

    /// A change is (table, keys); nil keys means wide.
    mutating func write(_ changes: [(table: String, keys: [String]?)]) -> UInt64 {
        lsn += 1
        for change in changes {
            tableVersions[change.table] = lsn
            if let keys = change.keys, !keys.isEmpty {
                for key in keys { keyVersions[change.table, default: [:]][key] = lsn }
            } else {
                wideVersions[change.table] = lsn
            }
        }
        return lsn
    }

    func version(table: String, key: String?) -> UInt64 {
        guard let key else { return tableVersions[table] ?? 0 }
        return max(keyVersions[table]?[key] ?? 0, wideVersions[table] ?? 0)
    }

    /// (valid, reason, changed deps with versions) for a stamp of this epoch.
    func check(lsn stamp: UInt64, deps: [(table: String, key: String?)]) -> (valid: Bool, reason: String?, changed: [UInt64]) {
        if stamp > lsn { return (false, "future", []) }
        let changed = deps.map { version(table: $0.table, key: $0.key) }.filter { $0 > stamp }
        return changed.isEmpty ? (true, nil, []) : (false, "changed", changed)
    }
}
