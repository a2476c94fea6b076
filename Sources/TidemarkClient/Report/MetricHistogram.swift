/// One Prometheus histogram without labels other than `le`, as scraped: cumulative bucket
/// counts by upper bound, ascending, the last one `+Inf`.
public struct MetricHistogram: Hashable, Sendable {
    public struct Bucket: Hashable, Sendable {
        public var upperBound: Double
        /// Observations at or below `upperBound`.
        public var cumulative: Double
    }

    public var buckets: [Bucket]
    public var sum: Double
    public var count: Double

    public init(buckets: [Bucket], sum: Double, count: Double) {
        self.buckets = buckets.sorted { $0.upperBound < $1.upperBound }
        self.sum = sum
        self.count = count
    }

    /// Observations in each bucket alone (not cumulative), in bucket order.
    public var counts: [Double] {
        var previous = 0.0
        return buckets.map { bucket in
            defer { previous = bucket.cumulative }
            return max(0, bucket.cumulative - previous)
        }
    }

    /// The upper bound of the bucket holding the `quantile` observation: an upper estimate,
    /// as exact as the buckets. Nil with no observations.
    public func quantileUpperBound(_ quantile: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = quantile * count
        return buckets.first { $0.cumulative >= rank }?.upperBound
    }

    /// Histograms from Prometheus text exposition, by metric name. Series with labels other
    /// than `le` are skipped: the report wants the server-wide ones.
    public static func parse(_ text: String) -> [String: MetricHistogram] {
        var buckets: [String: [Bucket]] = [:]
        var sums: [String: Double] = [:]
        var counts: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let value = number(parts[1]) else { continue }
            let series = parts[0]
            if let brace = series.firstIndex(of: "{") {
                let name = String(series[..<brace])
                let labels = series[series.index(after: brace)...].dropLast()
                guard name.hasSuffix("_bucket"), labels.hasPrefix("le=\""), !labels.contains(","),
                      let bound = number(labels.dropFirst(4).dropLast())
                else { continue }
                buckets[String(name.dropLast("_bucket".count)), default: []].append(Bucket(upperBound: bound, cumulative: value))
            } else if series.hasSuffix("_sum") {
                sums[String(series.dropLast(4))] = value
            } else if series.hasSuffix("_count") {
                counts[String(series.dropLast(6))] = value
            }
        }
        var result: [String: MetricHistogram] = [:]
        for (name, list) in buckets {
            result[name] = MetricHistogram(buckets: list, sum: sums[name] ?? 0, count: counts[name] ?? list.map(\.cumulative).max() ?? 0)
        }
        return result
    }

    private static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text)
        }
    }
}
