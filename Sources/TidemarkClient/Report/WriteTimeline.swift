import TidemarkStore

/// Writes per second per table over the window, in equal buckets: the most written
/// tables each get a series, the rest are summed into one.
struct WriteTimeline {
    var bucket: Milliseconds
    var starts: [Milliseconds]
    var series: [SVGLineChart.Series]

    static let bucketLadder: [Milliseconds] = [
        1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
        7_200_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000,
    ]

    init(activity: LogActivity, window: ClosedRange<Milliseconds>, maxBuckets: Int = 120, maxSeries: Int = 8) {
        let length = max(1, window.upperBound - window.lowerBound)
        let bucket = Self.bucketLadder.first { (length + $0 - 1) / $0 <= UInt64(maxBuckets) } ?? Self.bucketLadder.last!
        self.bucket = bucket
        let count = Int((length + bucket - 1) / bucket)
        starts = (0..<count).map { window.lowerBound + UInt64($0) * bucket }
        let tables = activity.tables.values.filter { $0.writes > 0 }.sorted { ($0.writes, $1.table) > ($1.writes, $0.table) }
        let perSecond = 1000 / Double(bucket)
        var series: [SVGLineChart.Series] = []
        var other = [Double](repeating: 0, count: count)
        for (index, table) in tables.enumerated() {
            var counts = [Double](repeating: 0, count: count)
            for time in table.writeTimes where window.contains(time) {
                counts[min(count - 1, Int((time - window.lowerBound) / bucket))] += 1
            }
            if index < maxSeries - 1 || tables.count == maxSeries {
                series.append(SVGLineChart.Series(name: table.table, values: counts.map { $0 * perSecond }))
            } else {
                for slot in 0..<count { other[slot] += counts[slot] * perSecond }
            }
        }
        if tables.count > maxSeries {
            series.append(SVGLineChart.Series(name: "(\(tables.count - maxSeries + 1) other tables)", values: other))
        }
        self.series = series
    }

    /// `HH:MM:SS` (UTC) for short windows, `MM-DD HH:MM` for longer ones.
    var labels: [String] {
        let long = bucket >= 60_000 && (starts.last ?? 0) - (starts.first ?? 0) >= 86_400_000
        return starts.map { start in
            let iso = TimeFormat.iso8601(start)
            let date = iso.dropFirst(5).prefix(5)
            let time = iso.dropFirst(11).prefix(long ? 5 : 8)
            return long ? "\(date) \(time)" : String(time)
        }
    }
}
