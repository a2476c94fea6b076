import TidemarkStore

/// The log as a table for people: one row per record, columns aligned across the rows
/// given, e.g.
///
///     LSN  TIME                      KIND   PEER       CHANGES              INTENT  META
///     41   2024-05-01T12:00:00.000Z  write  4242/1000  users:42,43 orders(*)  -     {"by":"cli"}
public enum LogTable {
    public static let header = ["LSN", "TIME", "KIND", "PEER", "CHANGES", "INTENT", "META"]

    public static func row(_ record: Record) -> [String] {
        [
            "\(record.lsn)",
            TimeFormat.iso8601(record.time),
            record.kind.rawValue,
            "\(record.peer.pid)/\(record.peer.uid)",
            record.changes.map(ChangeSyntax.format).joined(separator: " "),
            record.intent ?? "-",
            record.meta.map { String(decoding: $0, as: UTF8.self) } ?? "-",
        ]
    }

    /// The header and a row per record; the last column is not padded.
    public static func render(_ records: [Record]) -> String {
        let rows = [header] + records.map(row)
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : ReadableText.padded(cell, widths[index])
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// The log table for output that grows, as `log --follow` prints it: the first call
/// writes the header and aligns the columns over the records it is given; later rows are
/// padded to the widths seen so far, which grow when a row needs more.
public struct LogTableWriter: Sendable {
    private var widths = LogTable.header.map(\.count)
    private var wroteHeader = false

    public init() {}

    /// The lines for `records`, preceded by the header the first time (even for none).
    public mutating func lines(_ records: [Record]) -> [String] {
        let rows = records.map(LogTable.row)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var lines: [String] = []
        if !wroteHeader {
            wroteHeader = true
            lines.append(line(LogTable.header))
        }
        lines += rows.map(line)
        return lines
    }

    private func line(_ row: [String]) -> String {
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : ReadableText.padded(cell, widths[index])
        }.joined(separator: "  ")
    }
}
