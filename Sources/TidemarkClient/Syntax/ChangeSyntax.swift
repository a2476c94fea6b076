import TidemarkStore

/// The command-line spelling of changes and dependencies:
///
/// - `users` — the whole table (a wide change; a dependency on the table);
/// - `users:42` — one key;
/// - `users:42,43` — several keys (one change, or one dependency per key).
///
/// The table ends at the first `:` and keys are split at `,`; a backslash makes the next
/// character literal (`tags:a\,b` is the single key `a,b`). Tables and keys are never
/// empty, so `users:` and `users:1,,2` are refused rather than guessed at.
public enum ChangeSyntax {
    public static func change(_ text: String) throws(TidemarkClientError) -> Change {
        let (table, keys) = try split(text)
        return Change(table: table, keys: keys)
    }

    public static func changes(_ texts: [String]) throws(TidemarkClientError) -> [Change] {
        var changes: [Change] = []
        for text in texts { changes.append(try change(text)) }
        return changes
    }

    /// One dependency per key, or the table dependency when no key is given.
    public static func deps(_ text: String) throws(TidemarkClientError) -> [Dep] {
        let (table, keys) = try split(text)
        guard let keys else { return [Dep(table: table)] }
        return keys.map { Dep(table: table, key: $0) }
    }

    public static func deps(_ texts: [String]) throws(TidemarkClientError) -> [Dep] {
        var deps: [Dep] = []
        for text in texts { deps += try self.deps(text) }
        return deps
    }

    /// The spelling `change` reads back, except that a wide change shows as `table(*)`
    /// so it stands out in listings.
    public static func format(_ change: Change) -> String {
        guard let keys = change.keys else { return escape(change.table) + "(*)" }
        return escape(change.table) + ":" + keys.map(escape).joined(separator: ",")
    }

    public static func format(_ dep: Dep) -> String {
        dep.key.map { escape(dep.table) + ":" + escape($0) } ?? escape(dep.table)
    }

    // MARK: Parsing

    private static func split(_ text: String) throws(TidemarkClientError) -> (table: String, keys: [String]?) {
        var table = ""
        var keys: [String]?
        var current = ""
        var escaping = false
        for character in text {
            if escaping {
                current.append(character)
                escaping = false
                continue
            }
            switch character {
            case "\\":
                escaping = true
            case ":" where keys == nil:
                table = current
                current = ""
                keys = []
            case "," where keys != nil:
                guard !current.isEmpty else { throw emptyKey(text) }
                keys!.append(current)
                current = ""
            default:
                current.append(character)
            }
        }
        guard !escaping else { throw .invalidArgument("\"\(text)\" ends with a lone backslash") }
        if keys == nil {
            table = current
        } else {
            guard !current.isEmpty else {
                throw keys!.isEmpty
                    ? .invalidArgument("\"\(text)\" names no key after ':' (write \"\(table)\" for the whole table)")
                    : emptyKey(text)
            }
            keys!.append(current)
        }
        guard !table.isEmpty else { throw .invalidArgument("\"\(text)\" names no table") }
        return (table, keys)
    }

    private static func emptyKey(_ text: String) -> TidemarkClientError {
        .invalidArgument("\"\(text)\" has an empty key")
    }

    private static func escape(_ name: String) -> String {
        guard name.contains(where: { $0 == "\\" || $0 == ":" || $0 == "," }) else { return name }
        var escaped = ""
        for character in name {
            if character == "\\" || character == ":" || character == "," { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
