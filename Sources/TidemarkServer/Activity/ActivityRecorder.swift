import Logging
import NIOCore
import ServiceLifecycle
import TidemarkStore

/// Restores the activity counters before the server listens — from the snapshot saved in
/// the data directory, then from the log records written after it (all of them when there
/// is no snapshot) — and saves them through the writer every `interval` and at shutdown.
/// Check counts since the last save are lost in a crash; record counts are not, since
/// the log holds them.
final class ActivityRecorder: Service {
    private let counters: ActivityCounters
    private let store: any VersionStore
    private let writer: GroupCommitWriter
    private let eventLoop: any EventLoop
    private let logger: Logger
    /// The LSN when the application was built: live counting covers everything after it.
    private let startLSN: LSN
    private let interval: Duration

    init(
        counters: ActivityCounters, store: any VersionStore, writer: GroupCommitWriter, eventLoop: any EventLoop,
        logger: Logger, startLSN: LSN, interval: Duration = .seconds(5)
    ) {
        self.counters = counters
        self.store = store
        self.writer = writer
        self.eventLoop = eventLoop
        self.logger = logger
        self.startLSN = startLSN
        self.interval = interval
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                await self.save()
            }
        }
        await save()
    }

    /// Restores the counters (`ActivityCounters.restore`), before the server listens.
    func restore() async {
        let store = self.store
        await counters.restore(
            saved: { try store.savedActivity() }, upTo: startLSN, log: { query in try store.log(query) }, logger: logger)
    }

    private func save() async {
        guard let bytes = counters.takeChangesForSaving() else { return }
        let promise = eventLoop.makePromise(of: MutationOutcome.self)
        writer.submit(MutationRequest(.saveActivity(bytes), peer: Peer(pid: 0, uid: 0, gid: 0)), promise: promise)
        do {
            _ = try await promise.futureResult.get()
        } catch {
            logger.warning("activity counters not saved", metadata: ["error": "\(error)"])
        }
    }
}
