import Logging
import ServiceLifecycle

/// `tidemark capture postgres` as a long-running service: one session after another,
/// reconnecting (0.1 s to 2 s apart) whenever PostgreSQL or Tidemark goes away, until a
/// graceful shutdown or an error only the operator can fix.
public struct CaptureService: Service {
    let configuration: CaptureConfiguration
    let logger: Logger

    public init(configuration: CaptureConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await self.runSessions()
        }
    }

    private func runSessions() async throws {
        let firstDelay = Duration.milliseconds(100)
        var delay = firstDelay
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await CaptureSession(configuration: configuration, logger: logger).run()
            } catch let error as CaptureError where !error.isRetryable {
                throw error
            } catch {
                if Task.isCancelled { return }
                if ContinuousClock.now - started > .seconds(5) { delay = firstDelay }
                logger.warning("capture interrupted; reconnecting", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    /// `--drop-slot`: drops the slot and returns.
    public static func dropSlot(configuration: CaptureConfiguration, logger: Logger) async throws {
        try await PostgresConnection.with(configuration.dsn, replication: true, logger: logger) { connection in
            try await ReplicationSetup(configuration: configuration, logger: logger).dropSlot(connection)
        }
    }
}
