import LMDB

/// What the `tables` and `pendingTables` databases keep for one table, read together.
struct TableRow {
    var versions = TableVersions()
    /// Open intents on the table, and how many of them are wide.
    var pendingAny: UInt64 = 0
    var pendingWide: UInt64 = 0
}

/// The table rows one answer has read so far. The deps of a check mostly share a few
/// tables, and every row read is an LMDB search; remembering the first few tables' rows
/// makes a two-dep check on one table three searches instead of six.
struct TableRows {
    // A struct, not a tuple: an array of tuples has its type metadata looked up at run
    // time, on every call.
    private struct Remembered {
        var table: String
        var row: TableRow
    }

    private var rows: [Remembered] = []
    private static let remembered = 8

    mutating func row(for table: String, read: (String) throws -> TableRow) rethrows -> TableRow {
        if let known = rows.first(where: { $0.table == table }) { return known.row }
        let row = try read(table)
        if rows.count < Self.remembered { rows.append(Remembered(table: table, row: row)) }
        return row
    }
}
