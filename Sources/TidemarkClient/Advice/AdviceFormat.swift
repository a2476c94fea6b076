import TidemarkStore

/// Numbers in advice text: short, with units, the same on every platform.
public enum AdviceFormat {
    /// `250ms`, `1.5s`, `42s`, `1m40s`, `2h5m`, `3d4h`.
    public static func duration(_ milliseconds: Milliseconds) -> String {
        switch milliseconds {
        case ..<1000: return "\(milliseconds)ms"
        case ..<10_000:
            let tenths = milliseconds / 100
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        case ..<60_000: return "\(milliseconds / 1000)s"
        default:
            let text = TimeFormat.duration(milliseconds: milliseconds)
            return text.hasSuffix("m0s") ? String(text.dropLast(2)) : text
        }
    }

    /// `10 s`, `1.5 s`, `2 min`: a TTL as people would set it.
    public static func seconds(_ milliseconds: Milliseconds) -> String {
        if milliseconds >= 60_000 && milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000) min" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }

    /// `37%`; `<1%` and `>99%` rather than a rounded 0% or 100% that did not happen.
    public static func percent(_ fraction: Double?) -> String {
        guard let fraction else { return "n/a" }
        let value = fraction * 100
        if value > 0 && value < 0.5 { return "<1%" }
        if value < 100 && value >= 99.5 { return ">99%" }
        return "\(Int(value.rounded()))%"
    }

    /// Three significant digits, never in exponent form: `2.00`, `0.000556`, `1234`.
    public static func rate(_ value: Double) -> String {
        guard value > 0, value.isFinite else { return "0" }
        if value >= 100 { return "\(Int(value.rounded()))" }
        var decimals = 2
        var scaled = value
        while scaled < 1 && decimals < 12 {
            scaled *= 10
            decimals += 1
        }
        return fixed(value, decimals: decimals)
    }

    /// `1s 13%, 10s 0%, 60s 0%`; horizons the window could not measure are left out.
    public static func validity(_ validity: DepValidity) -> String {
        let measured = validity.points.compactMap { point in point.fraction.map { "\(horizon(point.horizon)) \(percent($0))" } }
        return measured.isEmpty ? "(window too short to measure)" : measured.joined(separator: ", ")
    }

    /// `1s`, `60s`, `250ms`: horizons as column headers and in reasons.
    public static func horizon(_ milliseconds: Milliseconds) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        guard decimals > 0 else { return "\(whole)" }
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
    }
}
