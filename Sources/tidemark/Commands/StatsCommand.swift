import ArgumentParser
import TidemarkClient

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the server's counts, sizes, uptime, sync mode and connections.",
        discussion: """
            With --tables, one row per table instead, busiest first: writes per second \
            since counting began, writes, the share of wide writes, keys per keyed write, \
            distinct keys (estimated, typically within 2-3%), intents opened/committed/aborted/ \
            expired, checks of entries depending on the table and the share found valid, \
            names registered/invalidated. `tidemark advise` turns these into advice.

            Examples:
              tidemark stats --socket /run/tidemark/tidemark.sock
              tidemark stats --tables
              tidemark stats --table users --table orders --json
            """)

    @OptionGroup var options: ClientOptions

    @Flag(help: "Show per-table activity, busiest first.")
    var tables = false

    @Option(name: .customLong("table"), help: ArgumentHelp("Show the activity of this table (repeatable).", valueName: "name"))
    var only: [String] = []

    func run() async throws {
        let perTable: [String]? = tables || !only.isEmpty ? only : nil
        try await options.withClient { client throws(TidemarkClientError) in
            let stats = try await client.stats(tables: perTable)
            if options.json {
                print(stats.jsonString)
            } else {
                print(perTable == nil ? ReadableText.stats(stats) : TableActivityText.table(stats))
            }
        }
    }
}
