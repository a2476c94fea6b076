import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import TidemarkProtocol
import TidemarkStore

/// A service whose state lives in a remote store (`serve --backend etcd`): the store's own
/// services (an etcd mirror's watch), the calls runner and the listener, in one group that
/// starts them in that order and stops them in reverse.
public struct RemoteApplication: Sendable {
    public struct Configuration: Sendable {
        public var server: ServerConfiguration
        /// How much of the log to keep; every server of a fleet may apply the same one.
        public var retention = RetentionPolicy()
        /// Signals that begin a graceful shutdown.
        public var shutdownSignals: [UnixSignal] = [.sigterm, .sigint]

        public init(socketPath: String) {
            self.server = ServerConfiguration(socketPath: socketPath)
        }
    }

    public let serviceGroup: ServiceGroup
    private let activityRecorder: RemoteActivityRecorder

    /// `storeServices` keep `store` current (started first, stopped last).
    public init(
        configuration: Configuration, store: any RemoteVersionStore, storeServices: [any Service], logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @escaping @Sendable () -> Void = {}
    ) {
        var server = configuration.server
        server.limits.maxTableBytes = store.limits.maxTableBytes
        server.limits.maxKeyBytes = store.limits.maxKeyBytes
        server.limits.maxNameBytes = store.limits.maxNameBytes
        server.limits.maxWriteTables = store.limits.maxWriteTables ?? .max
        let calls = RemoteCalls()
        let startedAt = LMDBStore.wallClock()
        let activity = ActivityCounters(countingSince: startedAt)
        // Watchers are fed with every server's records as the store learns of them.
        let hub = WatchHub(lastPublished: 0, backlogLimit: server.watchBacklog)
        let dispatcher = RemoteDispatcher(
            store: store, calls: calls, hub: hub, limits: server.limits,
            statistics: ServerStatistics(startedAt: startedAt), activity: activity)
        let delivered = store.deliverRecords { event in
            switch event {
            case .records(let records):
                hub.publish(records)
                activity.count(records)
            case .restarted(let lsn):
                hub.restart(after: lsn)
            }
        }
        // No watcher yet: this only sets where the first subscriptions start.
        hub.restart(after: delivered)
        let listener = TidemarkServer(
            configuration: server, dispatcher: dispatcher, hub: hub, eventLoopGroup: eventLoopGroup, logger: logger,
            onListening: onListening)
        let recorder = RemoteActivityRecorder(counters: activity, store: store, logger: logger, startLSN: delivered)
        activityRecorder = recorder
        let services = storeServices.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
            + [
                .init(service: calls),
                .init(service: RemoteRetainer(policy: configuration.retention, store: store, logger: logger)),
                .init(service: recorder),
                .init(service: listener),
            ]
        serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: configuration.shutdownSignals, logger: logger))
    }

    /// Serves until a shutdown signal or `shutdown()`.
    public func run() async throws {
        await activityRecorder.restore()
        try await serviceGroup.run()
    }

    public func shutdown() async {
        await serviceGroup.triggerGracefulShutdown()
    }
}
