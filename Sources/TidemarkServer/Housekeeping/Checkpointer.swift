import Logging
import NIOPosix
import ServiceLifecycle
import TidemarkStore

/// Takes the journaled store's checkpoints: about once a second it asks the store whether
/// one is due and, if so, has it copy the data file on a thread-pool thread (a copy of a
/// large file takes a while, and must hold neither the writer nor an event loop). A store
/// without a journal never has one due.
final class Checkpointer: Service {
    private let store: any VersionStore
    private let logger: Logger
    private let interval: Duration

    init(store: any VersionStore, logger: Logger, interval: Duration = .seconds(1)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                await self.checkpointIfDue()
            }
        }
    }

    private func checkpointIfDue() async {
        let store = self.store
        do {
            let took = try await NIOThreadPool.singleton.runIfActive { try store.checkpointIfDue() }
            if took { logger.debug("checkpoint taken") }
        } catch {
            // The journal keeps every frame the checkpoint would have released, so a failed
            // checkpoint loses nothing; it is tried again at the next tick.
            logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
