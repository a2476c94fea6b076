import ArgumentParser
import Logging
import Metrics
import Prometheus
import TidemarkClient
import TidemarkServer
import TidemarkStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Tidemark service on a Unix socket.",
        discussion: """
            Serves until SIGTERM or SIGINT, then answers the requests already read and \
            stops. Startup failures (the data directory in use by another server, a socket \
            already served, a directory others may write to) print one line and exit 1.

            The change log keeps every record unless --retain-records or --retain-age \
            is given; then older records are compacted in the background (about once a \
            second). With both, a record is dropped only once it is outside both limits. \
            Compaction removes only records: versions, intents and names are kept, and \
            no validity answer changes. `log` and `watch` from a dropped LSN get -32004.

            Examples:
              tidemark serve --socket /run/tidemark/s.sock --data /var/lib/tidemark
              tidemark serve --retain-records 1000000 --retain-age 7d
            """)

    enum SyncMode: String, ExpressibleByArgument, CaseIterable {
        case full
        /// Named for its spelling; `none` as a case would read as `Optional.none`.
        case noSync = "none"
    }

    @Option(
        help: ArgumentHelp(
            "The socket to listen on; its directory is created (0700) if missing.",
            discussion: "Default: $TIDEMARK_SOCKET, else $XDG_RUNTIME_DIR/tidemark/tidemark.sock, else /tmp/tidemark-<uid>/tidemark.sock.",
            valueName: "path"))
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "The data directory, created (0700) if missing.",
            discussion: "Default: $TIDEMARK_DATA, else $XDG_STATE_HOME/tidemark, else $HOME/.local/state/tidemark.",
            valueName: "dir"))
    var data: String?

    @Option(
        name: .customLong("socket-mode"),
        help: ArgumentHelp("The socket file's permissions, in octal (default 0660: the group may connect).", valueName: "mode"),
        transform: ServeCommand.octalMode)
    var socketMode: mode_t = 0o660

    @Option(
        name: .customLong("max-line-bytes"),
        help: ArgumentHelp("The longest request line accepted (default 1048576).", valueName: "n"))
    var maxLineBytes: Int?

    @Option(help: ArgumentHelp("`full` fsyncs every commit; `none` may lose the newest writes on a machine crash."))
    var sync: SyncMode = .full

    @Option(
        name: .customLong("map-size"),
        help: ArgumentHelp("The largest the data file may grow, e.g. 16GiB, 512MiB, or bytes (default 16GiB).", valueName: "size"),
        transform: Arguments.size)
    var mapSize: Int?

    @Option(
        name: .customLong("retain-records"),
        help: ArgumentHelp("Keep at most this many of the newest log records (default: all).", valueName: "n"))
    var retainRecords: UInt64?

    @Option(
        name: .customLong("retain-age"),
        help: ArgumentHelp(
            "Keep log records younger than this: 90s, 30m, 12h, 7d, or milliseconds (default: forever).",
            valueName: "duration"),
        transform: Arguments.duration)
    var retainAge: UInt64?

    @Option(
        help: ArgumentHelp(
            "Who may write, e.g. uid:1000,gid:50,uid:postgres (default: the server's own user and root).",
            discussion: "Others get -32005 for write, begin, commit, abort, register and compact.",
            valueName: "list"),
        transform: ServeCommand.principals)
    var writers: [AccessPolicy.Principal]?

    @Option(
        help: ArgumentHelp(
            "Who may read: stamp, check, log, watch, stats (default: anyone who can connect).",
            discussion: "A writer not in this list may not read; hello and ping are always open.",
            valueName: "list"),
        transform: ServeCommand.principals)
    var readers: [AccessPolicy.Principal]?

    @Option(
        name: .customLong("local-readers"),
        help: ArgumentHelp(
            "Let members of this group (a name or a gid) read the data file in place: `check --local`, Python's LocalReader.",
            discussion: "The data directory becomes 0750, the data file 0640 and LMDB's lock file 0660, of that group. Without it they stay private (0700/0600) and local readers are refused. See PROTOCOL.md, Local reading.",
            valueName: "group"),
        transform: ServeCommand.group)
    var localReaders: UInt32?

    @Option(
        name: .customLong("max-connections"),
        help: ArgumentHelp("Connections served at once; more are answered -32001 and closed (default 4096).", valueName: "n"))
    var maxConnections: Int?

    @Option(
        name: .customLong("max-queued-writes"),
        help: ArgumentHelp("Mutations waiting for the writer before more get -32001 (default 100000).", valueName: "n"))
    var maxQueuedWrites: Int?

    @Option(
        name: .customLong("shutdown-grace"),
        help: ArgumentHelp(
            "After SIGTERM, how long new requests are answered -32006 before connections stop reading (default 500ms).",
            valueName: "duration"),
        transform: Arguments.duration)
    var shutdownGrace: UInt64?

    @Option(
        name: .customLong("metrics-listen"),
        help: ArgumentHelp(
            "Serve Prometheus metrics at http://ADDRESS/metrics: PORT (loopback), HOST:PORT or [IPv6]:PORT (default: off).",
            valueName: "address"),
        transform: ServeCommand.listenAddress)
    var metricsListen: ListenAddress?

    @OptionGroup(title: "Backend")
    var backend: BackendOptions

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp("trace, debug, info (the default), notice, warning, error or critical.", valueName: "level"),
        transform: ServeCommand.logLevel)
    var logLevel: Logger.Level = .info

    func validate() throws {
        if let maxLineBytes, maxLineBytes < 1024 { throw ValidationError("--max-line-bytes must be at least 1024") }
        if retainRecords == 0 { throw ValidationError("--retain-records must be at least 1") }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if let maxQueuedWrites, maxQueuedWrites < 1 { throw ValidationError("--max-queued-writes must be at least 1") }
        try backend.validate()
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tidemark")
        let socketPath = socket ?? DefaultPaths.socketPath()
        if backend.backend == .etcd {
            try await serveOnEtcd(socketPath: socketPath, logger: logger)
            return
        }
        var configuration = TidemarkApplication.Configuration(
            socketPath: socketPath, dataPath: data ?? DefaultPaths.dataPath())
        configuration.server = serverConfiguration(socketPath: socketPath)
        configuration.store.durable = sync == .full
        if let mapSize { configuration.store.mapSize = mapSize }
        configuration.retention = RetentionPolicy(maxRecords: retainRecords, maxAge: retainAge)
        configuration.store.localReaderGroup = localReaders
        if let maxQueuedWrites { configuration.maxQueuedWrites = maxQueuedWrites }
        if let metricsListen { configuration.metrics = Self.bootstrapPrometheus(metricsListen) }
        let openFiles = ProcessLimits.raiseOpenFileLimit()
        if openFiles < UInt64(configuration.server.maxConnections) + 64 {
            logger.warning(
                "open file limit below --max-connections",
                metadata: ["limit": "\(openFiles)", "max_connections": "\(configuration.server.maxConnections)"])
        }

        do {
            try DefaultPaths.createParentDirectory(of: socketPath)
            let application = try TidemarkApplication(configuration: configuration, logger: logger)
            try await application.run()
        } catch {
            Console.error(Self.startupMessage(error))
            throw ExitCode(1)
        }
    }

    /// The listener's settings, the same for every backend.
    func serverConfiguration(socketPath: String) -> ServerConfiguration {
        var server = ServerConfiguration(socketPath: socketPath)
        server.socketMode = socketMode
        if let maxLineBytes { server.limits.maxLineBytes = maxLineBytes }
        if let writers { server.access.writers = writers }
        if let readers { server.access.readers = readers }
        if let maxConnections { server.maxConnections = maxConnections }
        if let shutdownGrace { server.shutdownGrace = .milliseconds(Int64(shutdownGrace)) }
        return server
    }

    /// The store's and server's own messages, without their code prefixes.
    static func startupMessage(_ error: any Error) -> String {
        switch error {
        case let error as StoreError: error.cause.map { "\(error.message) (\($0))" } ?? error.message
        case let error as TidemarkClientError: error.description
        default: "\(error)"
        }
    }

    private static func octalMode(_ text: String) throws -> mode_t {
        guard let mode = mode_t(text, radix: 8), mode <= 0o777 else {
            throw ValidationError("--socket-mode must be octal permissions such as 0660")
        }
        return mode
    }

    struct ListenAddress {
        var host: String
        var port: Int
    }

    /// `9464` means loopback only: metrics leave the machine only when the operator names
    /// an address.
    private static func listenAddress(_ text: String) throws -> ListenAddress {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("--metrics-listen must be PORT, HOST:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9464")
        }
        return ListenAddress(host: host, port: port)
    }

    /// The executable, not the library, chooses the metrics backend.
    private static func bootstrapPrometheus(_ address: ListenAddress) -> MetricsConfiguration {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Requests take tens of microseconds to a few milliseconds; the defaults start at 5 ms.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
        MetricsSystem.bootstrap(factory)
        return MetricsConfiguration(host: address.host, port: address.port, render: { registry.emitToBuffer() })
    }

    private static func principals(_ text: String) throws -> [AccessPolicy.Principal] {
        do {
            return try AccessPolicy.Principal.parseList(text)
        } catch {
            throw ValidationError(error.description)
        }
    }

    private static func group(_ text: String) throws -> UInt32 {
        if let gid = UInt32(text) { return gid }
        guard let entry = getgrnam(text) else { throw ValidationError("--local-readers: no group named \"\(text)\"") }
        return entry.pointee.gr_gid
    }

    private static func logLevel(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }
}
