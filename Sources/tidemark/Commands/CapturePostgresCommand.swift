import ArgumentParser
import Logging
import ServiceLifecycle
import TidemarkCapture
import TidemarkClient

struct CapturePostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Turn every transaction PostgreSQL commits into one Tidemark record.",
        discussion: """
            Reads PostgreSQL's logical replication stream (the built-in pgoutput plugin) from \
            a replication slot, and writes one record per committed transaction to the \
            Tidemark server at --socket: each table touched, with the primary keys of the rows \
            inserted, updated or deleted (TRUNCATE, and tables whose primary key the stream \
            does not carry, as wide changes), and meta {"source":"postgres","lsn","xid",\
            "commit_time_us"}. Runs until interrupted, reconnecting to either side when it goes \
            away; every transaction is recorded exactly once across crashes of the capture, \
            Tidemark or PostgreSQL.

            Needs wal_level = logical, a role with the REPLICATION attribute, and a publication \
            (created FOR ALL TABLES, or FOR TABLE the --tables, if missing: that needs a \
            superuser, or the tables' owner). The slot is created if missing, starting at the \
            current end of the WAL. See the README, "Capturing writes from PostgreSQL".

            Examples:
              tidemark capture postgres --dsn 'host=/var/run/postgresql dbname=app user=capture'
              tidemark capture postgres --dsn postgresql://capture:secret@127.0.0.1/app --tables orders,customers
              tidemark capture postgres --dsn 'dbname=app' --drop-slot
            """)

    @OptionGroup var server: SocketOption

    @Option(
        help: ArgumentHelp(
            "The database: a libpq connection string (key=value pairs or a postgresql:// URI); PGHOST, PGUSER, PGPASSWORD, … fill in what it leaves out.",
            valueName: "dsn"))
    var dsn: String = ""

    @Option(help: ArgumentHelp("The logical replication slot (created if missing).", valueName: "name"))
    var slot = "tidemark"

    @Option(help: ArgumentHelp("The publication pgoutput reads (created if missing).", valueName: "name"))
    var publication = "tidemark"

    @Option(
        help: ArgumentHelp(
            "Only these tables, comma-separated (names or schema.name); also what a created publication holds.",
            valueName: "a,b"),
        transform: { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } })
    var tables: [String]?

    @Option(help: ArgumentHelp("Record table T as NAMESPACE.T (tidemark_django's NAMESPACES).", valueName: "namespace"))
    var namespace: String?

    @Option(
        name: .customLong("max-keys"),
        help: ArgumentHelp("Above this many rows of one table in one transaction, record the whole table (default 1000).", valueName: "n"))
    var maxKeys = 1000

    @Option(
        name: .customLong("global-table"),
        help: ArgumentHelp(
            "The table whose wide change stands for \"anything changed\" (a transaction too large or unreadable); default tidemark_django.all, which every tidemark_django read depends on.",
            valueName: "table"))
    var globalTable = "tidemark_django.all"

    @Option(
        name: .customLong("source-name"),
        help: ArgumentHelp("The source name positions are kept under (default postgres:<system identifier>:<slot>).", valueName: "name"))
    var sourceName: String?

    @Flag(name: .customLong("drop-slot"), help: "Drop the replication slot and exit (the publication stays).")
    var dropSlot = false

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp("trace, debug, info (the default), notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        if dsn.isEmpty { throw ValidationError("--dsn is required") }
        if !CaptureConfiguration.validSlotName(slot) {
            throw ValidationError("--slot must be 1 to 63 lower-case letters, digits and underscores")
        }
        if publication.isEmpty { throw ValidationError("--publication must not be empty") }
        if maxKeys < 1 { throw ValidationError("--max-keys must be at least 1") }
        if let namespace, namespace.isEmpty || namespace.utf8.count > 64 {
            throw ValidationError("--namespace must be 1 to 64 bytes")
        }
        if globalTable.isEmpty || globalTable.utf8.count > 128 { throw ValidationError("--global-table must be 1 to 128 bytes") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tidemark-capture")
        do {
            var configuration = CaptureConfiguration(dsn: try PostgresDSN(dsn), socketPath: server.socketPath)
            configuration.slot = slot
            configuration.publication = publication
            configuration.tables = tables
            configuration.namespace = namespace
            configuration.maxKeysPerTable = maxKeys
            configuration.globalTable = globalTable
            configuration.sourceName = sourceName
            if dropSlot {
                try await CaptureService.dropSlot(configuration: configuration, logger: logger)
                Console.note("dropped replication slot \(slot)")
                return
            }
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: CaptureService(configuration: configuration, logger: logger))],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch let error as CaptureError {
            Console.error(error.message)
            throw ExitCode(1)
        }
    }
}
