import TidemarkProtocol
import TidemarkStore

/// What `tidemark report` puts on its page: the log's activity over a window, the advice
/// drawn from it, and the server's `stats` as it was when the report was made.
public struct ReportInput: Sendable {
    /// Milliseconds since the Unix epoch.
    public var generatedAt: Milliseconds
    public var window: ClosedRange<Milliseconds>
    /// As returned by `LogActivity.finished`.
    public var activity: LogActivity
    public var advice: AdviceReport
    /// The server's `stats` result; nil when it could not be read.
    public var stats: JSONObject?
    /// Per-table counters keyed by table name (`stats {tables}`), when the server has them.
    public var tableStats: JSONObject?
    /// Where the data came from (a socket path), for the header.
    public var source: String?
    /// Histograms scraped from the server's metrics endpoint, by metric name; nil when
    /// none was asked for or it could not be read.
    public var metrics: [String: MetricHistogram]?
    /// The endpoint scraped (`127.0.0.1:9464`), when one was.
    public var metricsSource: String?
    /// Why the endpoint asked for could not be read.
    public var metricsError: String?

    public init(
        generatedAt: Milliseconds, window: ClosedRange<Milliseconds>, activity: LogActivity, advice: AdviceReport,
        stats: JSONObject? = nil, tableStats: JSONObject? = nil, source: String? = nil,
        metrics: [String: MetricHistogram]? = nil, metricsSource: String? = nil,
        metricsError: String? = nil
    ) {
        self.generatedAt = generatedAt
        self.window = window
        self.activity = activity
        self.advice = advice
        self.stats = stats
        self.tableStats = tableStats
        self.source = source
        self.metrics = metrics
        self.metricsSource = metricsSource
        self.metricsError = metricsError
    }
}
