/// Quoting for the few statements the capture builds from names it was given.
enum SQLText {
    /// `"name"`, with `"` doubled.
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `'text'`, with `'` doubled (standard_conforming_strings is on since 9.1).
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `schema.table` or `table`, each part quoted.
    static func qualifiedTable(_ name: String) -> String {
        name.split(separator: ".", maxSplits: 1).map { identifier(String($0)) }.joined(separator: ".")
    }
}
