import TidemarkStore

/// A named entry as stored in etcd (`n/<name>`): the stamp it was registered with, its
/// deps, when it expires (milliseconds since 1970, by the clock of the server that
/// registered it) and which server that was. Its epoch is the prefix's: a new epoch is a new prefix state.
struct StoredName: Codable, Hashable, Sendable {
    struct StoredDep: Codable, Hashable, Sendable {
        var table: String
        var key: String?
    }

    var lsn: UInt64
    var deps: [StoredDep]
    var expiresAt: UInt64
    /// The writer id of the server that registered it, which sweeps it first once expired.
    var by: String?

    init(lsn: LSN, deps: [Dep], expiresAt: Milliseconds, by: String? = nil) {
        self.lsn = lsn
        self.deps = deps.map { StoredDep(table: $0.table, key: $0.key) }
        self.expiresAt = expiresAt
        self.by = by
    }

    var tidemarkDeps: [Dep] { deps.map { Dep(table: $0.table, key: $0.key) } }
}
