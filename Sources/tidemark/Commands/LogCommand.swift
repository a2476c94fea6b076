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

            Filters select records; each one given must hold, except that --table and --key \
            are alternatives (a record changing any of them matches). --key TABLE:KEY matches \
            the records that named the key and the wide changes of its table. --to and \
            --until are inclusive; TIME is an ISO 8601 UTC time (2026-11-29T07:38:46Z, or a \
            date) or a duration ago (10m, 2h, 1d). With --follow, the listing ends once --to \
            or --until is passed.

            Examples:
              tidemark log --from 1000 --limit 50 --table users --table orders
              tidemark log --follow --json --table users
              tidemark log --key users:42 --kind write --kind commit --since 1h
              tidemark log --pid 4121 --from 1200 --to 1300
            """)

    static let defaultLimit = 100

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("The first LSN to show (default: the oldest retained).", valueName: "lsn"))
    var from: UInt64?

    @Option(help: ArgumentHelp("Show at most this many records (default 100; not with --follow).", valueName: "n"))
    var limit: Int?

    @Option(name: .customLong("table"), help: ArgumentHelp("Only records that change this table; repeatable.", valueName: "table"))
    var tables: [String] = []

    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "Only records that change this key (`table:key`), wide changes of its table included; repeatable.",
            valueName: "table:key"))
    var keys: [String] = []

    @Option(
        name: .customLong("kind"),
        help: ArgumentHelp("Only records of this kind: write, begin, commit, abort or expire; repeatable.", valueName: "kind"))
    var kinds: [String] = []

    @Option(help: ArgumentHelp("Only records written by this process id.", valueName: "n"))
    var pid: Int32?

    @Option(help: ArgumentHelp("Only records written by this user id.", valueName: "n"))
    var uid: UInt32?

    @Option(help: ArgumentHelp("The last LSN to show (inclusive).", valueName: "lsn"))
    var to: UInt64?

    @Option(
        help: ArgumentHelp(
            "Only records written at or after TIME (ISO 8601 UTC, or a duration ago such as 10m).", valueName: "time"))
    var since: String?

    @Option(
        help: ArgumentHelp(
            "Only records written at or before TIME (ISO 8601 UTC, or a duration ago such as 10m).", valueName: "time"))
    var until: String?

    @Flag(name: [.short, .long], help: "Keep printing new records as they are written, across server restarts.")
    var follow = false

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be at least 1") }
        if follow && limit != nil { throw ValidationError("--limit cannot be used with --follow; use --from to start later") }
        if let from, let to, to < from { throw ValidationError("--to must not be below --from") }
        _ = try filter()
    }

    /// The filter the options describe; the times are read against this machine's clock.
    private func filter() throws -> LogFilter {
        let now = TimeSyntax.now()
        var kinds = Set<RecordKind>()
        for text in self.kinds {
            guard let kind = RecordKind(rawValue: text) else {
                throw ValidationError("--kind must be write, begin, commit, abort or expire, not \"\(text)\"")
            }
            kinds.insert(kind)
        }
        var keys: [Dep] = []
        for text in self.keys {
            let deps = try Arguments.deps([text])
            guard deps.allSatisfy({ $0.key != nil }) else {
                throw ValidationError("--key takes `table:key` (use --table \(text) for the whole table)")
            }
            keys += deps
        }
        func time(_ text: String?, _ option: String) throws -> Milliseconds? {
            guard let text else { return nil }
            do {
                return try TimeSyntax.parse(text, now: now)
            } catch {
                throw ValidationError("\(option): \(error.message)")
            }
        }
        return LogFilter(
            tables: tables, keys: keys, kinds: kinds, pid: pid, uid: uid, fromLSN: from, toLSN: to,
            since: try time(since, "--since"), until: try time(until, "--until"))
    }

    func run() async throws {
        let filter = try filter()
        if follow { return try await runFollowing(filter: filter) }
        let limit = self.limit ?? Self.defaultLimit
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                try await client.readLog(filter: filter, limit: limit) { records in
                    for record in records { print(record.json) }
                }
            } else {
                var records: [Record] = []
                try await client.readLog(filter: filter, limit: limit) { records += $0 }
                print(records.isEmpty ? "no records" : LogTable.render(records))
            }
        }
    }

    private func runFollowing(filter: LogFilter) async throws {
        let follower = LogFollower(socketPath: options.socketPath, from: from, tables: filter.serverTables)
        let json = options.json
        var table = LogTableWriter()
        var backlog: [Record] = []
        /// Ends the listing once `--to` or `--until` is passed: the follower returns when
        /// its task is cancelled.
        func stop(after record: Record) {
            if filter.isPastEnd(record.lsn + 1) || filter.until.map({ record.time > $0 }) == true {
                if !json { Console.output(table.lines(backlog)) }
                backlog = []
                withUnsafeCurrentTask { $0?.cancel() }
            }
        }
        do throws(TidemarkClientError) {
            try await follower.run { event in
                switch event {
                case .backlog(let records):
                    let matching = records.filter(filter.matches)
                    if json {
                        Console.output(matching.map { "\($0.json)" })
                    } else {
                        // Held back so the first table's columns fit all of it.
                        backlog += matching
                    }
                    if let last = records.last { stop(after: last) }
                case .caughtUp(let next):
                    if !json { Console.output(table.lines(backlog)) }
                    backlog = []
                    if filter.isPastEnd(next) || filter.until.map({ TimeSyntax.now() > $0 }) == true {
                        withUnsafeCurrentTask { $0?.cancel() }
                    }
                case .record(let record):
                    if filter.matches(record) {
                        Console.output(json ? ["\(record.json)"] : table.lines([record]))
                    }
                    stop(after: record)
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
