import Logging
import ServiceLifecycle
import TidemarkStore

/// `ActivityRecorder` for a remote store: restores this server's counters before it
/// serves (its saved snapshot, then the log records after it up to `startLSN`) and saves
/// them through the store every `interval` and at shutdown. Records after `startLSN` are
/// counted live from the store's record feed.
final class RemoteActivityRecorder: Service {
    private let counters: ActivityCounters
    private let store: any RemoteVersionStore
    private let logger: Logger
    private let startLSN: LSN
    private let interval: Duration

    init(counters: ActivityCounters, store: any RemoteVersionStore, logger: Logger, startLSN: LSN, interval: Duration = .seconds(5)) {
        self.counters = counters
        self.store = store
        self.logger = logger
        self.startLSN = startLSN
        self.interval = interval
    }

    /// Restores the counters (`ActivityCounters.restore`), before the server listens.
    func restore() async {
        let store = self.store
        await counters.restore(
            saved: { try await store.savedActivity() }, upTo: startLSN, log: { query in try await store.log(query) },
            logger: logger)
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                guard await self.save() else { return }
            }
        }
        _ = await save()
    }

    /// Saves what changed; false when the store keeps no activity, so saving stops.
    private func save() async -> Bool {
        guard let bytes = counters.takeChangesForSaving() else { return true }
        do {
            _ = try await store.apply(MutationRequest(.saveActivity(bytes), peer: Peer(pid: 0, uid: 0, gid: 0)))
        } catch where error.code == .unsupported {
            logger.debug("activity counters kept in memory only", metadata: ["backend": "\(store.backend)"])
            return false
        } catch {
            logger.warning("activity counters not saved", metadata: ["error": "\(error)"])
        }
        return true
    }
}
