import TidemarkProtocol
import TidemarkStore

extension AdviceReport {
    /// For people: the window, how validity was measured, a table with a row per table,
    /// then each table's advice with its reasons and hot keys.
    public var text: String {
        let length = window.upperBound - window.lowerBound
        var lines = [
            "window \(TimeFormat.iso8601(window.lowerBound)) to \(TimeFormat.iso8601(window.upperBound)) "
                + "(\(AdviceFormat.duration(length))), \(records) records",
            "validity: \(samples) hypothetical entries per table, dep kind and horizon, stamped at evenly spaced "
                + "times; key-dep entries on keys drawn \(Self.keySampling)",
        ]
        guard !tables.isEmpty else {
            lines.append("no table was written in the window")
            return lines.joined(separator: "\n")
        }
        let horizonNames = horizons.map(AdviceFormat.horizon).joined(separator: "/")
        let header = [
            "TABLE", "WRITES/S", "WIDE", "TABLE GAP", "KEY GAP", "KEYS", "TABLE DEPS \(horizonNames)",
            "KEY DEPS \(horizonNames)", "ADVICE",
        ]
        let rows = tables.map { table in
            [
                table.table, AdviceFormat.rate(table.writeRate), AdviceFormat.percent(table.wideShare),
                table.medianTableGap.map(AdviceFormat.duration) ?? "-",
                table.medianKeyGap.map(AdviceFormat.duration) ?? "-", "\(table.distinctKeys)",
                table.tableValidity.points.map { AdviceFormat.percent($0.fraction) }.joined(separator: " "),
                table.keyValidity.points.map { AdviceFormat.percent($0.fraction) }.joined(separator: " "),
                table.recommendation.summary,
            ]
        }
        lines.append("")
        lines += Self.aligned([header] + rows)
        for table in tables {
            lines.append("")
            lines.append("\(table.table): \(table.recommendation.summary)")
            lines.append("  \(table.recommendation.reason)")
            if !table.hotKeys.isEmpty {
                let keys = table.hotKeys.map { "\($0.key) (\($0.writes))" }.joined(separator: ", ")
                lines.append("  hot keys (writes): \(keys)")
            }
            if let checks = table.counters.flatMap(Self.checkSummary) {
                lines.append("  checks the server counted for it so far: \(checks)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `120 (valid 80%, changed 15%, pending 5%)` from the server's per-table `checks`
    /// counters; nil when it has none.
    static func checkSummary(_ counters: JSONObject) -> String? {
        guard let checks = counters["checks"]?.objectValue else { return nil }
        let counts = checks.compactMap { member in member.value.uint64Value.map { (member.key, $0) } }
        let total = counts.reduce(0) { $0 + $1.1 }
        guard total > 0 else { return "none" }
        let shares = counts.filter { $0.1 > 0 }.map { "\($0.0) \(AdviceFormat.percent(Double($0.1) / Double(total)))" }
        return "\(total) (\(shares.joined(separator: ", ")))"
    }

    /// Columns padded to their widest cell; the last column is not padded.
    static func aligned(_ rows: [[String]]) -> [String] {
        var widths: [Int] = []
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index == widths.count { widths.append(0) }
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : ReadableText.padded(cell, widths[index])
            }.joined(separator: "  ")
        }
    }
}
