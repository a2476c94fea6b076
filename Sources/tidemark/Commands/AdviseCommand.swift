import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct AdviseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advise",
        abstract: "Say, per table, which caching strategy fits, from the change log.",
        discussion: """
            Reads the change log (the last --since, or everything retained) and, per table, \
            reports the write rate, the share of wide writes, the median time between writes \
            to the table and to the same key, the hot keys, and the fraction of cache entries \
            still valid after 1 s, 10 s and 60 s, for entries depending on the whole table and \
            on single keys. Those fractions come from replaying hypothetical entries stamped at \
            1000 evenly spaced times in the window; key-dep entries are on keys drawn uniformly \
            among the keys written in the window.

            The advice, per table: `cache with key deps` (entries on one key live a minute or \
            more, clearly longer than on the whole table), `cache with table deps` (entries on \
            the whole table live a minute or more), `use a TTL of about N s` (entries live N s, \
            1 s to a minute: cache only reads that repeat within that), or `do not cache` (most \
            entries are invalidated within a second). When the server has per-table counters, \
            the checks it answered for each table are shown too.

            Examples:
              tidemark advise --since 1h
              tidemark advise --since 30m --table users --table orders --json
            """)

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("Only the log of the last DURATION (e.g. 10m, 1h, 7d); default everything retained.", valueName: "duration"))
    var since: String?

    @Option(name: .customLong("table"), help: ArgumentHelp("Only this table; repeatable.", valueName: "table"))
    var tables: [String] = []

    func validate() throws {
        if let since { _ = try Arguments.duration(since) }
    }

    func run() async throws {
        let ago = try since.map(Arguments.duration)
        try await options.withClient { client throws(TidemarkClientError) in
            let now = TimeSyntax.now()
            let start = ago.map { now >= $0 ? now - $0 : 0 }
            let activity = try await client.readActivity(since: start, until: now, tables: tables)
            var report = Advisor.advise(activity, window: (start ?? activity.firstTime ?? now)...now)
            let names = report.tables.map(\.table)
            if !names.isEmpty, let perTable = try await client.statsWithTables(names).perTable {
                for index in report.tables.indices {
                    report.tables[index].counters = perTable[report.tables[index].table]?.objectValue
                }
            }
            print(options.json ? report.json.jsonString : report.text)
        }
    }
}
