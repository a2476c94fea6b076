import TidemarkStore

/// Wall-clock times for people, computed here rather than with a date formatter so the
/// output is the same on every platform and needs no locale or time-zone data.
public enum TimeFormat {
    /// `2024-05-01T12:34:56.789Z` for milliseconds since the Unix epoch.
    public static func iso8601(_ milliseconds: Milliseconds) -> String {
        let days = milliseconds / 86_400_000
        let dayMilliseconds = milliseconds % 86_400_000
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let hour = dayMilliseconds / 3_600_000
        let minute = dayMilliseconds / 60_000 % 60
        let second = dayMilliseconds / 1000 % 60
        let fraction = dayMilliseconds % 1000
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(fraction, 3))Z"
    }

    /// `3d4h`, `2h5m`, `4m10s`, `12.3s`: the two largest units are enough to read an uptime.
    public static func duration(milliseconds: UInt64) -> String {
        let seconds = milliseconds / 1000
        switch seconds {
        case 86_400...: return "\(seconds / 86_400)d\(seconds % 86_400 / 3600)h"
        case 3600...: return "\(seconds / 3600)h\(seconds % 3600 / 60)m"
        case 60...: return "\(seconds / 60)m\(seconds % 60)s"
        default: return "\(seconds).\(milliseconds % 1000 / 100)s"
        }
    }

    /// Howard Hinnant's `civil_from_days`, for days since 1970-01-01 (never negative here).
    private static func civilDate(daysSinceEpoch: UInt64) -> (year: UInt64, month: UInt64, day: UInt64) {
        let z = daysSinceEpoch + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: UInt64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
