import Logging
import ServiceLifecycle

extension RetentionPolicy {
    /// What both retainers' `run()` do: `pass` every `interval` until a graceful shutdown
    /// (a failed pass is logged, and the next one tries again); an unbounded policy only
    /// waits for the shutdown.
    func runPasses(every interval: Duration, logger: Logger, _ pass: @Sendable @escaping () async throws -> Void) async throws {
        guard !isUnbounded else { return try await gracefulShutdown() }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await pass()
                } catch {
                    logger.warning("retention pass failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
