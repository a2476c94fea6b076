/// Sizes the store can hold. They follow from LMDB's 511-byte key limit: a key version
/// is stored under (table length, table, key), a named entry under its name.
public struct StoreLimits: Hashable, Sendable {
    public var maxTableBytes = 128
    public var maxKeyBytes = 256
    public var maxNameBytes = 256
    /// Distinct tables one write or intent may name, when the store bounds them below the
    /// protocol's `max_changes` (an etcd transaction holds only so many operations).
    public var maxWriteTables: Int?

    public init(maxWriteTables: Int? = nil) {
        self.maxWriteTables = maxWriteTables
    }

    /// Checks a table or key name; `field` names it in the error.
    func validate(table: String, field: @autoclosure () -> String) throws(StoreError) {
        try Self.validate(table, max: maxTableBytes, what: "table", field: field())
    }

    func validate(key: String, field: @autoclosure () -> String) throws(StoreError) {
        try Self.validate(key, max: maxKeyBytes, what: "key", field: field())
    }

    /// A write's `source`: a valid name, a position of at least 1 and an `after` below it.
    public func validate(_ source: SourcePosition) throws(StoreError) {
        try validate(name: source.name, field: "source.name")
        guard source.position > 0 else {
            throw StoreError(.invalidArgument, "source position must be at least 1", field: "source.position")
        }
        if let after = source.after, after >= source.position {
            throw StoreError(.invalidArgument, "source after must be below position", field: "source.after")
        }
    }

    public func validate(name: String, field: @autoclosure () -> String) throws(StoreError) {
        try Self.validate(name, max: maxNameBytes, what: "name", field: field())
    }

    public func validate(_ changes: [Change], field: @autoclosure () -> String) throws(StoreError) {
        guard !changes.isEmpty else {
            throw StoreError(.invalidArgument, "\(field()) must name at least one change", field: field())
        }
        for (index, change) in changes.enumerated() {
            try validate(table: change.table, field: "\(field())[\(index)].table")
            for (keyIndex, key) in (change.keys ?? []).enumerated() {
                try validate(key: key, field: "\(field())[\(index)].keys[\(keyIndex)]")
            }
        }
    }

    public func validate(_ deps: [Dep], field: @autoclosure () -> String) throws(StoreError) {
        // Deps are nearly always within the limits: test them plainly first, and walk them
        // again naming each field only to word an error.
        guard !deps.allSatisfy(accepts) else { return }
        for (index, dep) in deps.enumerated() {
            try validate(table: dep.table, field: "\(field())[\(index)].table")
            if let key = dep.key { try validate(key: key, field: "\(field())[\(index)].key") }
        }
    }

    /// Whether `query` is within the limits (what `validate` checks, without naming fields).
    /// Checks every check query, naming the field at fault (`deps`, `entries[2].name`).
    public func validate(_ queries: [CheckQuery]) throws(StoreError) {
        // Plainly first; the walk below names the field at fault, for an error only.
        guard !queries.allSatisfy(accepts) else { return }
        for (index, query) in queries.enumerated() {
            let prefix = queries.count == 1 ? "" : "entries[\(index)]."
            switch query {
            case .stamp(_, let deps): try validate(deps, field: prefix + "deps")
            case .name(let name): try validate(name: name, field: prefix + "name")
            }
        }
    }

    func accepts(_ query: CheckQuery) -> Bool {
        switch query {
        case .stamp(_, let deps): deps.allSatisfy(accepts)
        case .name(let name): name.utf8.count > 0 && name.utf8.count <= maxNameBytes
        }
    }

    private func accepts(_ dep: Dep) -> Bool {
        let tableBytes = dep.table.utf8.count
        guard tableBytes > 0, tableBytes <= maxTableBytes else { return false }
        guard let key = dep.key else { return true }
        let keyBytes = key.utf8.count
        return keyBytes > 0 && keyBytes <= maxKeyBytes
    }

    /// `field` is spelled out only for an error: building it for every dep of every check
    /// cost more than the check.
    private static func validate(_ text: String, max: Int, what: String, field: @autoclosure () -> String) throws(StoreError) {
        let count = text.utf8.count
        guard count > 0 else {
            throw StoreError(.invalidArgument, "\(what) must not be empty", field: field())
        }
        guard count <= max else {
            throw StoreError(.invalidArgument, "\(what) is \(count) bytes, more than the limit of \(max)", field: field())
        }
    }
}
