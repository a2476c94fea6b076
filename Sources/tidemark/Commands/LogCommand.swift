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

            With --follow, prints every retained record from --from on, then each new \
            record as it is written, until interrupted. If the server goes away, it \
            reconnects (retrying every 0.1 s to 2 s) and resumes after the last record \
            printed, so none is skipped or printed twice; records compacted away before \
            they could be read are reported on stderr.

            Examples:
              tidemark log --from 1000 --limit 50 --table users --table orders
              tidemark log --follow --json --table users
            """)

    static let defaultLimit = 100

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("The first LSN to show (default: the oldest retained).", valueName: "lsn"))
    var from: UInt64?

    @Option(help: ArgumentHelp("Show at most this many records (default 100; not with --follow).", valueName: "n"))
    var limit: Int?

    @Option(name: .customLong("table"), help: ArgumentHelp("Only records that change this table; repeatable.", valueName: "table"))
    var tables: [String] = []

    @Flag(name: [.short, .long], help: "Keep printing new records as they are written, across server restarts.")
    var follow = false

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be at least 1") }
        if follow && limit != nil { throw ValidationError("--limit cannot be used with --follow; use --from to start later") }
    }

    func run() async throws {
        let tables = self.tables.isEmpty ? nil : self.tables
        if follow { return try await runFollowing(tables: tables) }
        let limit = self.limit ?? Self.defaultLimit
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

    private func runFollowing(tables: [String]?) async throws {
        let follower = LogFollower(socketPath: options.socketPath, from: from, tables: tables)
        let json = options.json
        var table = LogTableWriter()
        var backlog: [Record] = []
        do throws(TidemarkClientError) {
            try await follower.run { event in
                switch event {
                case .backlog(let records):
                    if json {
                        Console.output(records.map { "\($0.json)" })
                    } else {
                        // Held back so the first table's columns fit all of it.
                        backlog += records
                    }
                case .caughtUp:
                    if !json { Console.output(table.lines(backlog)) }
                    backlog = []
                case .record(let record):
                    Console.output(json ? ["\(record.json)"] : table.lines([record]))
                case .compacted(let from, let oldest):
                    Console.warning(
                        "records \(from)–\(oldest - 1) were compacted away before they could be read; "
                            + "continuing from \(oldest)")
                case .disconnected(let reason):
                    Console.warning("lost the connection to the server (\(reason)); reconnecting")
                case .reconnected(let position):
                    Console.note("reconnected" + (position.map { "; resuming at lsn \($0)" } ?? ""))
                case .epochChanged(let old, let new):
                    Console.warning(
                        "the server now has another data directory (epoch \(old.hex) became \(new.hex)); "
                            + "following its log from the oldest record")
                }
            }
        } catch {
            Console.report(error)
            throw ExitCode(2)
        }
    }
}
