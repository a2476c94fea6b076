/// A position in PostgreSQL's write-ahead log (an `XLogRecPtr`), written as PostgreSQL
/// writes it: two hex halves, `16/B374D848`.
public struct WALPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) {
        self.value = value
    }

    /// `X/Y`, as `pg_lsn` prints it.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let high = UInt32(parts[0], radix: 16), let low = UInt32(parts[1], radix: 16) else { return nil }
        value = UInt64(high) << 32 | UInt64(low)
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xFFFF_FFFF, radix: 16, uppercase: true)
    }

    public static func < (lhs: WALPosition, rhs: WALPosition) -> Bool { lhs.value < rhs.value }
}

/// PostgreSQL's timestamps count microseconds from 2000-01-01 00:00 UTC.
enum PostgresTime {
    static let unixOffsetMicroseconds: Int64 = 946_684_800_000_000

    static func unixMicroseconds(_ postgres: Int64) -> Int64 { postgres + unixOffsetMicroseconds }
    static func postgres(unixMicroseconds: Int64) -> Int64 { unixMicroseconds - unixOffsetMicroseconds }
}
