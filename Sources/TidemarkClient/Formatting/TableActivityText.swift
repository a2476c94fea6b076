import TidemarkProtocol

/// `stats --tables`: one row per table, busiest first, with what a caching decision
/// turns on — how often and how widely it is written, and how checks of entries
/// depending on it came out.
public enum TableActivityText {
    public static func table(_ stats: JSONValue) -> String {
        guard let perTable = stats["per_table"]?.objectValue, !perTable.isEmpty else {
            return "no table activity recorded yet"
        }
        let rows = perTable.map { (name: $0.key, activity: $0.value) }.sorted {
            let left = $0.activity["writes_per_second"]?.doubleValue ?? 0
            let right = $1.activity["writes_per_second"]?.doubleValue ?? 0
            return left != right ? left > right : $0.name < $1.name
        }
        let header = ["TABLE", "WRITES/S", "WRITES", "WIDE", "KEYS/WRITE", "DISTINCT KEYS", "INTENTS o/c/a/e", "CHECKS", "VALID", "NAMES reg/inv"]
        var lines = [header]
        for row in rows {
            let activity = row.activity
            func number(_ key: String) -> UInt64 { activity[key]?.uint64Value ?? 0 }
            let writes = number("writes")
            let keyed = writes - min(writes, number("wide_writes"))
            let checks = activity["checks"]?.objectValue ?? [:]
            let checkTotal = checks.reduce(UInt64(0)) { $0 + ($1.value.uint64Value ?? 0) }
            let valid = checks["valid"]?.uint64Value ?? 0
            lines.append([
                row.name,
                String(format3: activity["writes_per_second"]?.doubleValue ?? 0),
                "\(writes)",
                percent(number("wide_writes"), of: writes),
                keyed > 0 ? String(format3: Double(number("keys_touched")) / Double(keyed)) : "-",
                "~\(number("distinct_keys"))",
                "\(number("intents_opened"))/\(number("intents_committed"))/\(number("intents_aborted"))/\(number("intents_expired"))",
                "\(checkTotal)",
                percent(valid, of: checkTotal),
                "\(number("names_registered"))/\(number("names_invalidated"))",
            ])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { $0.element.padding(to: widths[$0.offset]) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    private static func percent(_ part: UInt64, of whole: UInt64) -> String {
        whole == 0 ? "-" : "\(Int((Double(part) / Double(whole) * 100).rounded()))%"
    }
}

extension String {
    fileprivate init(format3 value: Double) {
        let scaled = (value * 1000).rounded() / 1000
        self = scaled == scaled.rounded() ? "\(Int(scaled))" : "\(scaled)"
    }

    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
