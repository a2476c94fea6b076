import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List change-log records: who changed what, and when.",
        discussion: """
            Shows LSN, time (ISO 8601, UTC), kind, the writer's pid/uid, the changes \
            (`users:42,43` for keys, `orders(*)` for the whole table), the intent and meta. \
            With --json, prints one record per line.

            Example:
              tidemark log --from 1000 --limit 50 --table users --table orders
            """)

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("The first LSN to show (default: the oldest retained).", valueName: "lsn"))
    var from: UInt64?

    @Option(help: ArgumentHelp("Show at most this many records.", valueName: "n"))
    var limit = 100

    @Option(name: .customLong("table"), help: ArgumentHelp("Only records that change this table; repeatable.", valueName: "table"))
    var tables: [String] = []

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let tables = self.tables.isEmpty ? nil : self.tables
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                try await client.readLog(from: from, tables: tables, limit: limit) { records in
                    for record in records { print(record.json) }
                }
            } else {
                var records: [Record] = []
                try await client.readLog(from: from, tables: tables, limit: limit) { records += $0 }
                print(records.isEmpty ? "no records" : LogTable.render(records))
            }
        }
    }
}
