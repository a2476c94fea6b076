import Logging
import NIOCore
import ServiceLifecycle
import TidemarkStore

/// Restores the activity counters at startup — from the snapshot saved in the data
/// directory, then from the log records written after it (all of them when there is no
/// snapshot) — and saves them through the writer every `interval` and at shutdown.
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
        do {
            try restore()
        } catch {
            logger.warning("activity counters not restored", metadata: ["error": "\(error)"])
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                await self.save()
            }
        }
        await save()
    }

    func restore() throws {
        var restored =
            try store.savedActivity().flatMap(ActivityCoding.decode)
            ?? ActivityCounters.State(countingSince: try firstRecordTime() ?? counters.snapshot().countingSince)
        // Records compacted away since the snapshot are simply not counted.
        var from = max(restored.coveredLSN + 1, try store.log(LogQuery(limit: 0)).oldest)
        var replayed = 0
        while from <= startLSN {
            let page = try store.log(LogQuery(from: from, limit: 10_000))
            for record in page.records where record.lsn > restored.coveredLSN && record.lsn <= startLSN {
                // Which names a replayed record invalidated is not in the log.
                ActivityCounters.count(CommittedRecord(record: record, invalidated: []), into: &restored)
                replayed += 1
            }
            guard page.next > from else { break }
            from = page.next
        }
        restored.coveredLSN = max(restored.coveredLSN, startLSN)
        counters.merge(restored)
        logger.debug("activity counters restored", metadata: ["replayed": "\(replayed)", "lsn": "\(startLSN)"])
    }

    private func firstRecordTime() throws -> Milliseconds? {
        let head = try store.log(LogQuery(limit: 0))
        return try store.log(LogQuery(from: head.oldest, limit: 1)).records.first?.time
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
