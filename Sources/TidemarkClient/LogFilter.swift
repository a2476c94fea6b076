#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TidemarkProtocol
import TidemarkStore

/// Which change-log records a reader wants, as `tidemark log` selects them.
///
/// Every criterion that is set must hold (they are ANDed), except that `tables` and
/// `keys` together say *what* was changed: a record matches if it changes any of those
/// tables or any of those keys. Lists within one criterion are alternatives (`kinds`).
/// LSN and time bounds are inclusive.
public struct LogFilter: Hashable, Sendable {
    /// Records with a change to one of these tables.
    public var tables: [String]
    /// Records that changed one of these keys: a change naming the key, or a wide change
    /// of its table (which advances every key of it). A dep without a key means its table.
    public var keys: [Dep]
    /// Records of one of these kinds; empty for every kind.
    public var kinds: Set<RecordKind>
    public var pid: Int32?
    public var uid: UInt32?
    public var fromLSN: LSN?
    public var toLSN: LSN?
    /// Milliseconds since the Unix epoch, like `Record.time`.
    public var since: Milliseconds?
    public var until: Milliseconds?

    public init(
        tables: [String] = [], keys: [Dep] = [], kinds: Set<RecordKind> = [], pid: Int32? = nil,
        uid: UInt32? = nil, fromLSN: LSN? = nil, toLSN: LSN? = nil, since: Milliseconds? = nil,
        until: Milliseconds? = nil
    ) {
        self.tables = tables
        self.keys = keys
        self.kinds = kinds
        self.pid = pid
        self.uid = uid
        self.fromLSN = fromLSN
        self.toLSN = toLSN
        self.since = since
        self.until = until
    }

    /// The `tables` to ask the server for: a superset of the matching records' tables,
    /// or nil when any table may match.
    public var serverTables: [String]? {
        if tables.isEmpty && keys.isEmpty { return nil }
        var seen = Set<String>()
        return (tables + keys.map(\.table)).filter { seen.insert($0).inserted }
    }

    public func matches(_ record: Record) -> Bool {
        if let fromLSN, record.lsn < fromLSN { return false }
        if let toLSN, record.lsn > toLSN { return false }
        if let since, record.time < since { return false }
        if let until, record.time > until { return false }
        if !kinds.isEmpty && !kinds.contains(record.kind) { return false }
        if let pid, record.peer.pid != pid { return false }
        if let uid, record.peer.uid != uid { return false }
        if !tables.isEmpty || !keys.isEmpty {
            let changesTable = record.changes.contains { tables.contains($0.table) }
            let changesKey = keys.contains { key in record.changes.contains { $0.covers(key) } }
            if !changesTable && !changesKey { return false }
        }
        return true
    }

    /// Whether no record at or after `lsn` can match: reading further is pointless.
    public func isPastEnd(_ lsn: LSN) -> Bool {
        if let toLSN { return lsn > toLSN }
        return false
    }
}

extension TidemarkClient {
    /// Reads the log from `filter.fromLSN` (the oldest retained record when nil), asking
    /// the server for the filter's tables and selecting the rest here, handing each
    /// non-empty batch of matching records to `body`, until `limit` records matched, the
    /// log ends, or the filter's `toLSN` is passed. Returns the number of records handed on.
    @discardableResult
    public func readLog(
        filter: LogFilter, limit: Int, pageSize: Int = 1000, _ body: ([Record]) -> Void
    ) async throws(TidemarkClientError) -> Int {
        var from = filter.fromLSN
        var count = 0
        let tables = filter.serverTables
        while count < limit {
            if let from, filter.isPastEnd(from) { break }
            let page = try await log(LogMethod.Params(from: from, limit: max(1, pageSize), tables: tables))
            if let last = page.records.last, page.next <= last.lsn {
                throw TidemarkClientError(
                    .invalidResponse, "a log page ending at lsn \(last.lsn) gave next \(page.next)")
            }
            let matching = page.records.filter(filter.matches).prefix(limit - count)
            if !matching.isEmpty { body(Array(matching)) }
            count += matching.count
            // Only a page that did not move `next` is the end (a filtered page may be empty).
            if from == page.next || (from == nil && page.records.isEmpty && page.next == page.oldest) { break }
            from = page.next
        }
        return count
    }
}

/// Points in time as people write them for `--since`/`--until`: an ISO 8601 UTC time
/// (`2026-11-29T07:38:46.463Z`, `2026-11-29T07:38:46Z`, `2026-11-29T07:38Z`,
/// `2026-11-29`), or a duration before `now` (`10m`, `2h`, `1d12h`; see `DurationSyntax`).
public enum TimeSyntax {
    /// This machine's wall clock, in milliseconds since the Unix epoch.
    public static func now() -> Milliseconds {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(max(0, spec.tv_sec)) * 1000 + UInt64(max(0, spec.tv_nsec)) / 1_000_000
    }

    public static func parse(_ text: String, now: Milliseconds) throws(TidemarkClientError) -> Milliseconds {
        if let time = iso8601(text) { return time }
        let ago: Milliseconds
        do {
            ago = try DurationSyntax.parse(text)
        } catch {
            throw .invalidArgument(
                "\"\(text)\" is not a time: give an ISO 8601 UTC time such as 2026-11-29T07:38:46Z, "
                    + "or a duration ago such as 10m, 2h or 1d")
        }
        return now >= ago ? now - ago : 0
    }

    /// `YYYY-MM-DD`, optionally followed by `THH:MM`, `:SS`, `.fff` and a final `Z`
    /// (required when a time of day is given; a date alone is midnight UTC).
    public static func iso8601(_ text: String) -> Milliseconds? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> UInt64? {
            guard index + digits <= bytes.count else { return nil }
            var value: UInt64 = 0
            for byte in bytes[index..<index + digits] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            }
            index += digits
            return value
        }
        func expect(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
            index += 1
            return true
        }
        guard let year = number(4), year >= 1970, expect("-"), let month = number(2), (1...12).contains(month),
              expect("-"), let day = number(2), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var milliseconds = daysFromCivil(year: year, month: month, day: day) * 86_400_000
        if index == bytes.count { return milliseconds }
        guard expect("T") || expect("t") || expect(" "), let hour = number(2), hour < 24, expect(":"),
              let minute = number(2), minute < 60
        else { return nil }
        milliseconds += hour * 3_600_000 + minute * 60_000
        if expect(":") {
            guard let second = number(2), second < 60 else { return nil }
            milliseconds += second * 1000
            if expect(".") {
                var scale: UInt64 = 100
                var fraction: UInt64 = 0
                var digits = 0
                while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                    fraction += UInt64(bytes[index] - UInt8(ascii: "0")) * scale
                    scale /= 10
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                milliseconds += fraction
            }
        }
        guard expect("Z") || expect("z"), index == bytes.count else { return nil }
        return milliseconds
    }

    private static func daysIn(month: UInt64, year: UInt64) -> UInt64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Howard Hinnant's `days_from_civil`, for dates from 1970 on.
    private static func daysFromCivil(year: UInt64, month: UInt64, day: UInt64) -> UInt64 {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
