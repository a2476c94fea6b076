/// Sizes as people write them: `16GiB`, `64MiB`, `512K`, `1048576`.
///
/// Binary units (`KiB`, `MiB`, `GiB`, `TiB`, and the bare `K`, `M`, `G`, `T`) are powers
/// of 1024; `KB`, `MB`, `GB`, `TB` are powers of 1000; no unit or `B` means bytes. Units
/// are case-insensitive and may follow a space.
public enum ByteSizeSyntax {
    public static func parse(_ text: String) throws(TidemarkClientError) -> Int {
        let trimmed = text.filter { $0 != " " }
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).lowercased()
        guard !digits.isEmpty, let number = Int(digits) else {
            throw .invalidArgument("\"\(text)\" is not a size (try 16GiB, 64MiB or a number of bytes)")
        }
        guard let multiplier = multipliers[unit] else {
            throw .invalidArgument("\"\(text)\" has an unknown unit \"\(unit)\" (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)")
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw .invalidArgument("\"\(text)\" is too large") }
        guard bytes > 0 else { throw .invalidArgument("\"\(text)\" must be more than zero bytes") }
        return bytes
    }

    /// `1.5 GiB`-style text for people; exact bytes below 1 KiB.
    public static func format(_ bytes: UInt64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        var index = 0
        while value >= 1024 && index < units.count - 1 {
            value /= 1024
            index += 1
        }
        let tenths = (value * 10).rounded() / 10
        let text = tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
        return "\(text) \(units[index])"
    }

    private static let multipliers: [String: Int] = [
        "": 1, "b": 1,
        "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
        "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40,
        "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
    ]
}
