import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import TidemarkProtocol
import TidemarkStore

/// Assembles a complete service: the store, the single writer, housekeeping and the
/// listener, as services of one group that starts them in that order and stops them in
/// reverse (the listener first, so queued writes are answered before the store closes).
public struct TidemarkApplication: Sendable {
    public struct Configuration: Sendable {
        public var dataPath: String
        public var server: ServerConfiguration
        public var store = LMDBStore.Options()
        /// Background compaction of old records (`--retain-records`, `--retain-age`).
        public var retention = RetentionPolicy()
        /// Mutations waiting for the writer before more are answered -32001.
        public var maxQueuedWrites = 100_000
        /// Serves Prometheus metrics over HTTP when set (`--metrics-listen`).
        public var metrics: MetricsConfiguration?
        /// Signals that begin a graceful shutdown.
        public var shutdownSignals: [UnixSignal] = [.sigterm, .sigint]

        public init(socketPath: String, dataPath: String) {
            self.dataPath = dataPath
            self.server = ServerConfiguration(socketPath: socketPath)
        }
    }

    public let store: LMDBStore
    public let serviceGroup: ServiceGroup
    private let activityRecorder: ActivityRecorder

    /// Opens the store (failing at once if the directory is locked or unsafe) and builds
    /// the services; nothing listens until `run()`.
    public init(
        configuration: Configuration, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @escaping @Sendable () -> Void = {}
    ) throws {
        let clock = LMDBStore.wallClock
        store = try LMDBStore(path: configuration.dataPath, options: configuration.store, clock: clock)
        var limits = configuration.server.limits
        limits.maxTableBytes = store.limits.maxTableBytes
        limits.maxKeyBytes = store.limits.maxKeyBytes
        limits.maxNameBytes = store.limits.maxNameBytes
        var serverConfiguration = configuration.server
        serverConfiguration.limits = limits
        let hub = WatchHub(lastPublished: try store.currentLSN(), backlogLimit: configuration.server.watchBacklog)
        let activity = ActivityCounters(countingSince: clock())
        let metrics: ServerMetrics? = configuration.metrics == nil ? nil : ServerMetrics()
        var onBatchTimed: (@Sendable (Int, Int64) -> Void)?
        if let metrics {
            onBatchTimed = { size, nanoseconds in metrics.batchCommitted(size: size, nanoseconds: nanoseconds) }
        }
        let writer = GroupCommitWriter(
            store: store, logger: logger, maxQueued: configuration.maxQueuedWrites,
            onCommit: { records in
                hub.publish(records)
                activity.count(records)
            },
            onBatchTimed: onBatchTimed)
        let statistics = ServerStatistics(startedAt: clock())
        let dispatcher = RequestDispatcher(
            store: store, writer: writer, hub: hub, limits: limits, statistics: statistics, activity: activity,
            metrics: metrics, clock: clock)
        let recorder = ActivityRecorder(
            counters: activity, store: store, writer: writer, eventLoop: eventLoopGroup.any(), logger: logger,
            startLSN: try store.currentLSN())
        activityRecorder = recorder
        let housekeeper = Housekeeper(
            store: store, writer: writer, eventLoop: eventLoopGroup.any(), logger: logger, clock: clock)
        let retainer = Retainer(
            policy: configuration.retention, store: store, writer: writer, eventLoop: eventLoopGroup.any(),
            logger: logger, clock: clock)
        let server = TidemarkServer(
            configuration: serverConfiguration, dispatcher: dispatcher, hub: hub, eventLoopGroup: eventLoopGroup,
            logger: logger, onListening: onListening)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: writer),
            .init(service: housekeeper),
            .init(service: retainer),
            .init(service: recorder),
            .init(service: Checkpointer(store: store, logger: logger)),
        ]
        if let endpoint = configuration.metrics, let metrics {
            let store = self.store
            services.append(.init(service: MetricsEndpoint(
                host: endpoint.host, port: endpoint.port, eventLoopGroup: eventLoopGroup, logger: logger,
                render: {
                    metrics.refresh(
                        store: try? store.statistics(), connections: statistics.connections,
                        watchers: hub.watcherCount, writerQueue: writer.counters.queued, activity: activity.snapshot())
                    return endpoint.render()
                })))
        }
        services.append(.init(service: server))
        serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: configuration.shutdownSignals,
                logger: logger))
    }

    /// Serves until a shutdown signal or `shutdown()`.
    public func run() async throws {
        // However the group ends, the writer has stopped by now; a journaled store can
        // flush and say so, and its next start needs no rebuild.
        defer { store.stopped() }
        await activityRecorder.restore()
        try await serviceGroup.run()
    }

    public func shutdown() async {
        await serviceGroup.triggerGracefulShutdown()
    }
}
