import TidemarkStore

/// Durations as people write them: `90s`, `30m`, `12h`, `7d`, `250ms`, or a plain number
/// of milliseconds (`1500`). Components may be combined, largest first or not:
/// `1h30m`, `2d12h`. Units are case-insensitive; spaces are ignored.
public enum DurationSyntax {
    /// The duration in milliseconds; never zero.
    public static func parse(_ text: String) throws(TidemarkClientError) -> Milliseconds {
        let trimmed = Array(text.lowercased().filter { $0 != " " })
        guard !trimmed.isEmpty else { throw notADuration(text) }
        var total: Milliseconds = 0
        var index = 0
        var components = 0
        while index < trimmed.count {
            let digitsStart = index
            while index < trimmed.count, trimmed[index].isASCII, trimmed[index].isNumber { index += 1 }
            guard index > digitsStart, let number = UInt64(String(trimmed[digitsStart..<index])) else {
                throw notADuration(text)
            }
            let unitStart = index
            while index < trimmed.count, !(trimmed[index].isASCII && trimmed[index].isNumber) { index += 1 }
            let unit = String(trimmed[unitStart..<index])
            guard let multiplier = multipliers[unit] else {
                throw .invalidArgument(
                    "\"\(text)\" has an unknown unit \"\(unit)\" (use ms, s, m, h or d, e.g. 90s, 30m, 12h, 7d)")
            }
            // A bare number is milliseconds, but only on its own: `1h30` is more likely a
            // mistake for `1h30m` than a request for 30 ms more.
            guard !unit.isEmpty || (components == 0 && index == trimmed.count) else {
                throw .invalidArgument("\"\(text)\" has a number without a unit (write e.g. 1h30m)")
            }
            let (product, productOverflow) = number.multipliedReportingOverflow(by: multiplier)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !productOverflow, !sumOverflow else { throw .invalidArgument("\"\(text)\" is too long a duration") }
            total = sum
            components += 1
        }
        guard total > 0 else { throw .invalidArgument("\"\(text)\" must be longer than zero") }
        return total
    }

    private static func notADuration(_ text: String) -> TidemarkClientError {
        .invalidArgument("\"\(text)\" is not a duration (try 90s, 30m, 12h, 7d or a number of milliseconds)")
    }

    private static let multipliers: [String: UInt64] = [
        "": 1, "ms": 1,
        "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000,
    ]
}
