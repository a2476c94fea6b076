/// Axis arithmetic for the report's charts: "nice" tick steps (1, 2 or 5 times a power of
/// ten) and coordinates written with one decimal.
enum ChartScale {
    /// A step that divides `[0, maximum]` into at most about `count` ticks.
    static func niceStep(maximum: Double, count: Int = 5) -> Double {
        guard maximum > 0, maximum.isFinite else { return 1 }
        let raw = maximum / Double(max(1, count))
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        for factor in [1.0, 2.0, 5.0, 10.0] where magnitude * factor >= raw {
            return magnitude * factor
        }
        return magnitude * 10
    }

    /// The ticks from 0 to the first multiple of `step` at or above `maximum`.
    static func ticks(maximum: Double, count: Int = 5) -> [Double] {
        let step = niceStep(maximum: maximum, count: count)
        var ticks = [0.0]
        while ticks.last! < maximum - step * 1e-9 || ticks.count < 2 { ticks.append(Double(ticks.count) * step) }
        return ticks
    }

    /// `12.5`: SVG coordinates need no more.
    static func coordinate(_ value: Double) -> String {
        AdviceFormat.fixed(value, decimals: 1)
    }

    /// A tick label: integers plainly, small values with the digits they need.
    static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return "\(Int(value))" }
        return AdviceFormat.rate(value)
    }
}
