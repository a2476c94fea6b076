/// One table's part of a write: the keys it touched, or the whole table (a *wide* change)
/// when the rows are unknown (bulk UPDATE, TRUNCATE, migration, raw SQL).
public struct Change: Hashable, Sendable {
    public var table: String
    /// `nil` for a wide change. Never empty: an empty list is normalised to `nil`
    /// so that a record keeps one canonical form.
    public private(set) var keys: [String]?

    public init(table: String, keys: [String]? = nil) {
        self.table = table
        self.keys = (keys?.isEmpty ?? true) ? nil : keys
    }

    public var isWide: Bool { keys == nil }

    /// Whether committing this change would advance `ver(dep)`.
    public func covers(_ dep: Dep) -> Bool {
        guard dep.table == table else { return false }
        guard let depKey = dep.key, let keys else { return true }
        return keys.contains(depKey)
    }
}
