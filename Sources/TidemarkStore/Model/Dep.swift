/// What a cached entry depends on: a whole table, or one key inside it.
public struct Dep: Hashable, Sendable, CustomStringConvertible {
    public var table: String
    /// `nil` for a dependency on the whole table.
    public var key: String?

    public init(table: String, key: String? = nil) {
        self.table = table
        self.key = key
    }

    public var description: String {
        key.map { "\(table):\($0)" } ?? table
    }
}

/// A dependency together with its current version, as listed in `check`'s `changed`.
public struct VersionedDep: Hashable, Sendable {
    public var dep: Dep
    public var version: LSN

    public init(dep: Dep, version: LSN) {
        self.dep = dep
        self.version = version
    }
}
