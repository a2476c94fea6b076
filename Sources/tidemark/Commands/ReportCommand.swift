import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report: write rates, checks, group commit, advice.",
        discussion: """
            One HTML file with inline CSS and SVG charts and no scripts, so it opens in any \
            browser without network access: writes per second per table over time (from the \
            log), check outcomes (the server's totals; it keeps no per-check history), \
            group-commit batch sizes (the server's writes per commit, and records per \
            millisecond in the log as a proxy; with --metrics, the server's histogram), group-commit \
            latency (apply and fsync) from the metrics endpoint with --metrics, and the \
            advice of `tidemark advise`.

            Example:
              tidemark report --out report.html --since 1h
              tidemark report --out report.html --metrics 9464
            """)

    @OptionGroup var server: SocketOption

    @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var out: String

    @Option(help: ArgumentHelp("Only the log of the last DURATION (e.g. 10m, 1h, 7d); default everything retained.", valueName: "duration"))
    var since: String?

    @Option(
        help: ArgumentHelp(
            "Also read the server's metrics endpoint (as given to `serve --metrics-listen`: PORT, HOST:PORT or [IPv6]:PORT) for commit latency and batch sizes.",
            valueName: "address"))
    var metrics: String?

    func validate() throws {
        if let since { _ = try Arguments.duration(since) }
    }

    func run() async throws {
        let ago = try since.map(Arguments.duration)
        let socketPath = server.socketPath
        let html = try await ClientOptions.withClient(socketPath: socketPath) { client throws(TidemarkClientError) in
            try await Self.render(client, since: ago, source: socketPath, metrics: metrics)
        }
        do throws(TidemarkClientError) {
            try ReportFile.save(html, to: out)
        } catch {
            Console.report(error)
            throw ExitCode(2)
        }
        Console.note("wrote \(out) (\(html.utf8.count) bytes)")
    }

    private static func render(
        _ client: TidemarkClient, since ago: Milliseconds?, source: String, metrics address: String?
    ) async throws(TidemarkClientError) -> String {
        let now = TimeSyntax.now()
        let start = ago.map { now >= $0 ? now - $0 : 0 }
        let activity = try await client.readActivity(since: start, until: now)
        let window = (start ?? activity.firstTime ?? now)...now
        let advice = Advisor.advise(activity, window: window)
        let stats = try await client.statsWithTables([])
        var input = ReportInput(
            generatedAt: now, window: window, activity: activity, advice: advice, stats: stats.totals,
            tableStats: stats.perTable, source: source)
        if let address {
            // The report is still worth having without the metrics: say why they are missing.
            do throws(TidemarkClientError) {
                input.metrics = MetricHistogram.parse(try MetricsScrape.fetch(address))
                input.metricsSource = address
            } catch {
                Console.warning("the metrics were not read: \(error.message)")
                input.metricsError = error.message
            }
        }
        return HTMLReport.render(input)
    }
}
