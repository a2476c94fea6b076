import TidemarkClient
import TidemarkProtocol
import TidemarkStore

/// A report over a known synthetic log, with `stats` as a server with per-table
/// counters answers it (or without them).
enum ReportFixture {
    static let duration: Milliseconds = 600_000

    static func input(withCounters: Bool = true, extraTable: String? = nil) -> ReportInput {
        var logs = [SyntheticLog.wideEvery100ms(), SyntheticLog.singleKeys()]
        if let extraTable {
            logs.append(SyntheticLog.records(every: 60_000, for: duration, offset: 7) { _ in [Change(table: extraTable)] })
        }
        let records = SyntheticLog.merged(logs[0], logs[1], logs.count > 2 ? logs[2] : [])
        let window = SyntheticLog.window(duration)
        var activity = LogActivity(since: window.lowerBound, until: window.upperBound)
        activity.add(records)
        let finished = activity.finished()
        let advice = Advisor.advise(finished, window: window)
        guard withCounters else {
            return ReportInput(generatedAt: window.upperBound, window: window, activity: finished, advice: advice)
        }
        let stats: JSONObject = [
            "lsn": JSONValue(UInt64(records.count)), "oldest": 1, "sync": "full", "uptime_ms": 700_000,
            "commits": 4000, "mutations": 7200,
            "checks": ["valid": 900, "changed": 300, "pending": 12, "epoch": 0, "future": 0, "unknown": 40, "expired": 3],
        ]
        let perTable: JSONObject = [
            "orders": ["writes": 6000, "wide_writes": 6000, "checks": ["valid": 10, "changed": 290]],
            "users": ["writes": 1200, "wide_writes": 0, "checks": ["valid": 890, "changed": 10, "pending": 12]],
        ]
        return ReportInput(
            generatedAt: window.upperBound, window: window, activity: finished, advice: advice, stats: stats,
            tableStats: perTable, source: "/tmp/tidemark.sock")
    }
}
