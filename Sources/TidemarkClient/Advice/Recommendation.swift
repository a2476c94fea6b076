import TidemarkStore

/// The plain advice for one table, with the numbers that justify it.
public struct Recommendation: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// Entries on single keys stay valid long (a minute or more) and clearly longer
        /// than entries on the whole table.
        case keyDeps = "key_deps"
        /// Entries on the whole table stay valid long; key deps would not add much.
        case tableDeps = "table_deps"
        /// Entries live from about a second to under a minute: worth caching only for
        /// reads that repeat within `ttl`, which is also about when entries stop being
        /// useful, so a longer cache TTL only keeps dead entries around.
        case ttl
        /// Most entries are invalidated within a second.
        case doNotCache = "do_not_cache"
    }

    public var kind: Kind
    /// The dependency to use: for `.keyDeps` and `.tableDeps` the obvious one; for `.ttl`
    /// the better of the two; for `.doNotCache` the better of the two as well.
    public var deps: DepKind
    /// For `.ttl`: about how long entries live (the median lifetime of `deps` entries).
    public var ttl: Milliseconds?
    /// Why, in one sentence with the numbers.
    public var reason: String

    public init(kind: Kind, deps: DepKind, ttl: Milliseconds? = nil, reason: String) {
        self.kind = kind
        self.deps = deps
        self.ttl = ttl
        self.reason = reason
    }

    /// `cache with key deps`, `use a TTL of about 10 s (key deps)`, …
    public var summary: String {
        switch kind {
        case .keyDeps: "cache with key deps"
        case .tableDeps: "cache with table deps"
        case .doNotCache: "do not cache"
        case .ttl: "use a TTL of about \(AdviceFormat.seconds(ttl ?? 0)) (\(deps.rawValue) deps)"
        }
    }
}
