import TidemarkProtocol
import TidemarkStore

/// `tidemark report`'s page: one self-contained HTML file (inline CSS and SVG, no script,
/// no font or image to fetch), so it opens anywhere, offline, and can be mailed around.
public enum HTMLReport {
    /// The section headings, in page order; tests and the browser check look for them.
    public enum Title {
        public static let writes = "Writes per second per table"
        public static let checks = "Check outcomes"
        public static let batches = "Group-commit batch size"
        public static let fsync = "Fsync latency"
        public static let advice = "Caching advice"
        public static let all = [writes, checks, batches, fsync, advice]
    }

    public static func render(_ input: ReportInput) -> String {
        var body = header(input)
        body += section(Title.writes, writes(input))
        body += section(Title.checks, checks(input))
        body += section(Title.batches, batches(input))
        body += section(Title.fsync, fsync(input))
        body += section(Title.advice, advice(input))
        body += details(input)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Tidemark report \(HTMLText.escape(TimeFormat.iso8601(input.generatedAt)))</title>
            <style>
            \(ReportPalette.css)
            </style>
            </head>
            <body>
            \(body)
            </body>
            </html>

            """
    }

    static func section(_ title: String, _ content: String) -> String {
        "<section><h2>\(HTMLText.escape(title))</h2>\n\(content)\n</section>\n"
    }

    static func paragraph(_ text: String, class name: String = "caption") -> String {
        "<p class=\"\(name)\">\(text)</p>"
    }

    // MARK: Header

    private static func header(_ input: ReportInput) -> String {
        let length = input.window.upperBound - input.window.lowerBound
        var facts = [
            "window \(TimeFormat.iso8601(input.window.lowerBound)) to \(TimeFormat.iso8601(input.window.upperBound)) (\(AdviceFormat.duration(length)))",
            "\(input.activity.records) records read",
            "generated \(TimeFormat.iso8601(input.generatedAt))",
        ]
        if let source = input.source { facts.append("server \(source)") }
        if let stats = input.stats {
            for (key, label) in [("lsn", "lsn"), ("oldest", "oldest retained"), ("sync", "sync")] {
                if let value = stats[key] { facts.append("\(label) \(value.stringValue ?? value.jsonString)") }
            }
            if let uptime = stats["uptime_ms"]?.uint64Value { facts.append("up \(AdviceFormat.duration(uptime))") }
        }
        return "<h1>Tidemark report</h1>\n" + paragraph(HTMLText.escape(facts.joined(separator: " · ")), class: "meta") + "\n"
    }

    // MARK: Writes

    private static func writes(_ input: ReportInput) -> String {
        let timeline = WriteTimeline(activity: input.activity, window: input.window)
        guard !timeline.series.isEmpty else {
            return paragraph("No table was written in the window.", class: "note")
        }
        let chart = SVGLineChart(
            title: Title.writes, xLabels: timeline.labels, yLabel: "writes/s", series: timeline.series)
        return chart.render() + "\n"
            + paragraph(
                "From the change log: records that advanced a table's version (write, commit, expire), "
                    + "averaged over \(AdviceFormat.duration(timeline.bucket)) buckets; times in UTC. "
                    + "A record changing several tables counts for each.")
    }

    // MARK: Checks

    private static func checks(_ input: ReportInput) -> String {
        var rows: [SVGStackedBars.Row] = []
        if let tables = input.tableStats {
            for (table, counters) in tables {
                guard let counters = counters.objectValue,
                      let values = outcomes(counters["checks"]?.objectValue ?? counters)
                else { continue }
                rows.append(SVGStackedBars.Row(label: table, values: values))
            }
        }
        if let stats = input.stats, let totals = outcomes(stats["checks"]?.objectValue ?? stats) {
            rows.insert(SVGStackedBars.Row(label: "all tables", values: totals), at: 0)
        }
        guard !rows.isEmpty else {
            return paragraph(
                "This server's <code>stats</code> has no check counters, so check outcomes cannot be shown. "
                    + "Servers with per-table counters report them in <code>stats {\"tables\": [...]}</code> "
                    + "(<code>checks_valid</code>, <code>checks_changed</code>, …).", class: "note")
        }
        let chart = SVGStackedBars(title: Title.checks, parts: ReportPalette.outcomes, rows: rows)
        return chart.render() + "\n"
            + paragraph(
                "Totals since the server started, from <code>stats</code>: the server keeps no history of "
                    + "individual checks, so these are not over time. Bars show each outcome's share; the "
                    + "number at the right is the count of checks.")
    }

    /// The counts of each outcome from `checks_<outcome>` members (or bare `<outcome>`
    /// members of a `checks` object); nil when there is none.
    static func outcomes(_ object: JSONObject) -> [Double]? {
        var found = false
        let values = ReportPalette.outcomes.map { outcome -> Double in
            guard let value = (object["checks_\(outcome.name)"] ?? object[outcome.name])?.doubleValue else { return 0 }
            found = true
            return value
        }
        return found ? values : nil
    }

    // MARK: Group commit

    private static func batches(_ input: ReportInput) -> String {
        var content = ""
        if let stats = input.stats, let mutations = stats["mutations"]?.doubleValue,
           let commits = stats["commits"]?.doubleValue
        {
            let average = commits > 0 ? mutations / commits : 0
            content += "<p><span class=\"figure\">\(AdviceFormat.rate(average))</span> write requests per commit (fsync) on average: "
                + "\(ChartScale.label(mutations)) write requests in \(ChartScale.label(commits)) commits since the server started "
                + "(<code>stats</code> <code>mutations / commits</code>; housekeeping commits included).</p>\n"
        } else {
            content += paragraph("<code>stats</code> has no <code>mutations</code>/<code>commits</code> counters.", class: "note") + "\n"
        }
        if let histogram = input.metrics?[Metric.batchSize], histogram.count > 0 {
            let last = (histogram.counts.lastIndex { $0 > 0 } ?? 0) + 1
            let chart = SVGBarChart(
                title: "Write requests per group commit (metrics endpoint)",
                categories: histogram.buckets.prefix(last).map { bucketLabel($0.upperBound, seconds: false) },
                values: Array(histogram.counts.prefix(last)), xLabel: "write requests in one group commit, bucket upper bound",
                yLabel: "commits", color: ReportPalette.color(2))
            content += chart.render() + "\n"
                + paragraph(
                    "Measured by the server, from the metrics endpoint: <code>\(Metric.batchSize)</code>, "
                        + "\(ChartScale.label(histogram.count)) group commits since the server started.") + "\n"
        }
        let runs = input.activity.recordsPerMillisecond
        guard !runs.isEmpty else {
            return content + paragraph("No records in the window, so no batch-size proxy from the log.", class: "note")
        }
        let buckets: [(String, ClosedRange<Int>)] = [
            ("1", 1...1), ("2", 2...2), ("3", 3...3), ("4", 4...4), ("5–8", 5...8), ("9–16", 9...16),
            ("17–32", 17...32), ("33–64", 33...64), ("65–128", 65...128), ("129+", 129...Int.max),
        ]
        let values = buckets.map { bucket in
            Double(runs.filter { bucket.1.contains($0.key) }.reduce(0) { $0 + $1.value })
        }
        let last = (values.lastIndex { $0 > 0 } ?? 0) + 1
        let chart = SVGBarChart(
            title: Title.batches, categories: buckets.prefix(last).map(\.0), values: Array(values.prefix(last)),
            xLabel: "records sharing one millisecond timestamp", yLabel: "milliseconds")
        return content + chart.render() + "\n"
            + paragraph(
                "From the change log, a proxy: consecutive records with the same millisecond timestamp, counted by "
                    + "how many there were. One group commit usually stamps its records within one millisecond, but "
                    + "a commit can straddle two and two small commits can share one, so this is an estimate of "
                    + "batch sizes, not a measurement.")
    }

    // MARK: Fsync

    private static func fsync(_ input: ReportInput) -> String {
        if let histogram = input.metrics?[Metric.commitDuration], histogram.count > 0 {
            let chart = SVGBarChart(
                title: Title.fsync, categories: histogram.buckets.map { bucketLabel($0.upperBound, seconds: true) },
                values: histogram.counts, xLabel: "group commit duration (apply and fsync), bucket upper bound",
                yLabel: "commits")
            let quantiles = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)].compactMap { name, quantile in
                histogram.quantileUpperBound(quantile).map { "\(name) \(bucketLabel($0, seconds: true))" }
            }
            let mean = histogram.sum / histogram.count * 1000
            return chart.render() + "\n"
                + paragraph(
                    "From the metrics endpoint\(input.metricsSource.map { " (\(HTMLText.escape($0)))" } ?? ""), "
                        + "<code>\(Metric.commitDuration)</code>: \(ChartScale.label(histogram.count)) group commits since the "
                        + "server started, mean \(AdviceFormat.fixed(mean, decimals: 2)) ms, \(HTMLText.escape(quantiles.joined(separator: ", "))) "
                        + "(bucket upper bounds). It times a whole group commit, applying it and its fsync; "
                        + "with <code>--sync full</code> the fsync is most of it.")
        }
        var rows: [(String, String)] = []
        if let stats = input.stats { collect(.object(stats), prefix: "", matching: "fsync", into: &rows) }
        guard !rows.isEmpty else {
            var text = "Not available from <code>stats</code>: fsync latency is measured by the server's Prometheus "
                + "metrics endpoint (<code>tidemark serve --metrics-listen PORT</code>, metric "
                + "<code>\(Metric.commitDuration)</code>). Pass <code>tidemark report --metrics PORT</code> to include it."
            if let error = input.metricsError { text += " The endpoint was not read: \(HTMLText.escape(error))." }
            return paragraph(text, class: "note")
        }
        let table = rows.map { "<tr><td>\(HTMLText.escape($0.0))</td><td class=\"number\">\(HTMLText.escape($0.1))</td></tr>" }
        return "<table><tr><th>stats member</th><th>value</th></tr>\(table.joined())</table>\n"
            + paragraph("The fsync figures the server's <code>stats</code> reports, as sent.")
    }

    /// The metrics the report draws, as the server names them.
    enum Metric {
        static let commitDuration = "tidemark_commit_duration_seconds"
        static let batchSize = "tidemark_commit_batch_size"
    }

    /// `≤25µs`, `≤2.5ms`, `≤1s`, `≤16`, `more` for a histogram bucket's upper bound.
    static func bucketLabel(_ bound: Double, seconds: Bool) -> String {
        guard bound.isFinite else { return "more" }
        guard seconds else { return "≤\(ChartScale.label(bound))" }
        if bound < 0.001 { return "≤\(Int((bound * 1_000_000).rounded()))µs" }
        if bound < 1 {
            let milliseconds = bound * 1000
            let text = milliseconds == milliseconds.rounded() ? "\(Int(milliseconds))" : AdviceFormat.fixed(milliseconds, decimals: 1)
            return "≤\(text)ms"
        }
        return "≤\(ChartScale.label(bound))s"
    }

    private static func collect(_ value: JSONValue, prefix: String, matching word: String, into rows: inout [(String, String)]) {
        guard let object = value.objectValue else {
            if prefix.contains(word) { rows.append((prefix, value.stringValue ?? value.jsonString)) }
            return
        }
        for (key, member) in object {
            collect(member, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", matching: word, into: &rows)
        }
    }

    // MARK: Advice

    private static func advice(_ input: ReportInput) -> String {
        let report = input.advice
        guard !report.tables.isEmpty else { return paragraph("No table was written in the window.", class: "note") }
        let horizons = report.horizons.map(AdviceFormat.horizon).joined(separator: " / ")
        var html = "<table><tr><th>table</th><th>advice</th><th>writes/s</th><th>wide</th><th>median gap (table / key)</th>"
            + "<th>table deps valid after \(horizons)</th><th>key deps valid after \(horizons)</th><th>why</th><th>hot keys (writes)</th></tr>"
        for table in report.tables {
            let gaps = [table.medianTableGap, table.medianKeyGap].map { $0.map(AdviceFormat.duration) ?? "–" }
            let hot = table.hotKeys.map { "\($0.key) (\($0.writes))" }.joined(separator: ", ")
            let cells = [
                "<td>\(HTMLText.escape(table.table))</td>", "<td><strong>\(HTMLText.escape(table.recommendation.summary))</strong></td>",
                "<td class=\"number\">\(AdviceFormat.rate(table.writeRate))</td>",
                "<td class=\"number\">\(HTMLText.escape(AdviceFormat.percent(table.wideShare)))</td>",
                "<td class=\"number\">\(gaps.joined(separator: " / "))</td>",
                "<td class=\"number\">\(HTMLText.escape(table.tableValidity.points.map { AdviceFormat.percent($0.fraction) }.joined(separator: " / ")))</td>",
                "<td class=\"number\">\(HTMLText.escape(table.keyValidity.points.map { AdviceFormat.percent($0.fraction) }.joined(separator: " / ")))</td>",
                "<td>\(HTMLText.escape(table.recommendation.reason))</td>", "<td>\(HTMLText.escape(hot.isEmpty ? "–" : hot))</td>",
            ]
            html += "<tr>\(cells.joined())</tr>"
        }
        html += "</table>\n"
        return html
            + paragraph(
                "As <code>tidemark advise</code> computes it: \(report.samples) hypothetical entries per table, dependency "
                    + "kind and horizon, stamped at evenly spaced times in the window; an entry is still valid after h "
                    + "if no write reached its dependency within h. Key-dependency entries are on keys drawn "
                    + "\(HTMLText.escape(AdviceReport.keySampling)).")
    }

    // MARK: Raw data

    private static func details(_ input: ReportInput) -> String {
        var html = ""
        if let tables = input.tableStats, !tables.keys.isEmpty {
            var names: [String] = []
            for (_, counters) in tables {
                for key in counters.objectValue?.keys ?? [] where !names.contains(key) { names.append(key) }
            }
            html += "<h2>Per-table counters</h2>\n<div class=\"wide\"><table><tr><th>table</th>"
                + names.map { "<th>\(HTMLText.escape($0))</th>" }.joined() + "</tr>"
            for (table, counters) in tables {
                html += "<tr><td>\(HTMLText.escape(table))</td>"
                    + names.map { name in
                        let value = counters.objectValue?[name]
                        return "<td class=\"number\">\(HTMLText.escape(value.map { $0.stringValue ?? $0.jsonString } ?? "–"))</td>"
                    }.joined() + "</tr>"
            }
            html += "</table></div>\n" + paragraph("From <code>stats {\"tables\": [...]}</code>, since the server started.") + "\n"
        }
        if let stats = input.stats {
            html += "<details><summary>Server stats (as sent)</summary><pre>\(HTMLText.escape(ReadableText.stats(.object(stats))))</pre></details>\n"
        }
        return html
    }
}
