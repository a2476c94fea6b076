import Testing
import TidemarkClient

@Suite("Metrics in the report", .timeLimit(.minutes(1)))
struct MetricHistogramTests {
    static let exposition = """
        # TYPE tidemark_commit_batch_size histogram
        tidemark_commit_batch_size_bucket{le="1.0"} 6
        tidemark_commit_batch_size_bucket{le="2.0"} 9
        tidemark_commit_batch_size_bucket{le="4.0"} 10
        tidemark_commit_batch_size_bucket{le="+Inf"} 10
        tidemark_commit_batch_size_sum 15.0
        tidemark_commit_batch_size_count 10
        # TYPE tidemark_commit_duration_seconds histogram
        tidemark_commit_duration_seconds_bucket{le="0.000025"} 0
        tidemark_commit_duration_seconds_bucket{le="0.001"} 50
        tidemark_commit_duration_seconds_bucket{le="0.0025"} 90
        tidemark_commit_duration_seconds_bucket{le="0.05"} 99
        tidemark_commit_duration_seconds_bucket{le="1.0"} 100
        tidemark_commit_duration_seconds_bucket{le="+Inf"} 100
        tidemark_commit_duration_seconds_sum 0.2
        tidemark_commit_duration_seconds_count 100
        tidemark_request_duration_seconds_bucket{method="write",le="0.001"} 3
        tidemark_requests_total{method="write",outcome="ok"} 3
        """

    @Test func histogramsAreParsedAndLabelledSeriesSkipped() throws {
        let histograms = MetricHistogram.parse(Self.exposition)
        #expect(histograms.keys.sorted() == ["tidemark_commit_batch_size", "tidemark_commit_duration_seconds"])
        let batches = try #require(histograms["tidemark_commit_batch_size"])
        #expect(batches.counts == [6, 3, 1, 0])
        #expect(batches.sum == 15 && batches.count == 10)
        let durations = try #require(histograms["tidemark_commit_duration_seconds"])
        #expect(durations.quantileUpperBound(0.5) == 0.001)
        #expect(durations.quantileUpperBound(0.9) == 0.0025)
        #expect(durations.quantileUpperBound(0.99) == 0.05)
        #expect(durations.buckets.last?.upperBound == .infinity)
    }

    @Test func scrapedHistogramsBecomeLatencyAndBatchCharts() throws {
        var input = ReportFixture.input()
        input.metrics = MetricHistogram.parse(Self.exposition)
        input.metricsSource = "127.0.0.1:9464"
        let html = HTMLReport.render(input)
        try HTMLStructure.check(html)
        #expect(html.contains("tidemark_commit_duration_seconds</code>: 100 group commits"))
        #expect(html.contains("mean 2.00 ms, p50 ≤1ms, p90 ≤2.5ms, p99 ≤50ms"))
        #expect(html.contains("≤25µs"))
        #expect(html.contains("≤2.5ms"))
        #expect(html.contains("Write requests per group commit (metrics endpoint)"))
        #expect(!html.contains("Not available from <code>stats</code>"))
    }

    @Test func anUnreadableEndpointIsNamedInTheReport() throws {
        var input = ReportFixture.input()
        input.metricsError = "cannot connect to the metrics endpoint 9 (Connection refused)"
        let html = HTMLReport.render(input)
        #expect(html.contains("The endpoint was not read: cannot connect to the metrics endpoint 9 (Connection refused)."))
        #expect(throws: TidemarkClientError.self) { try MetricsScrape.fetch("not an address") }
    }
}
