import Logging
import NIOCore
import ServiceLifecycle
import TidemarkStore

/// Applies the retention policy: every `interval` it works out the first record to keep
/// and queues a `compact` through the writer. Each pass removes at most `maxPerPass`
/// records so that a large backlog never holds the writer for long.
final class Retainer: Service {
    private let policy: RetentionPolicy
    private let store: any VersionStore
    private let writer: GroupCommitWriter
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let clock: @Sendable () -> Milliseconds
    private let interval: Duration
    static let maxPerPass: UInt64 = 100_000

    init(
        policy: RetentionPolicy, store: any VersionStore, writer: GroupCommitWriter, eventLoop: any EventLoop,
        logger: Logger, clock: @escaping @Sendable () -> Milliseconds, interval: Duration = .seconds(1)
    ) {
        self.policy = policy
        self.store = store
        self.writer = writer
        self.eventLoop = eventLoop
        self.logger = logger
        self.clock = clock
        self.interval = interval
    }

    func run() async throws {
        try await policy.runPasses(every: interval, logger: logger) { try await self.compactOnce() }
    }

    /// One pass: returns the oldest retained LSN afterwards.
    @discardableResult
    func compactOnce() async throws -> LSN {
        let head = try store.log(LogQuery(limit: 0))
        let lsn = try store.currentLSN()
        var before = lsn + 1
        if let maxRecords = policy.maxRecords {
            before = min(before, lsn >= maxRecords ? lsn - maxRecords + 1 : 1)
        }
        if let maxAge = policy.maxAge {
            let now = clock()
            before = min(before, try firstRecord(atOrAfter: now >= maxAge ? now - maxAge : 0, oldest: head.oldest, lsn: lsn))
        }
        before = min(before, head.oldest + Self.maxPerPass)
        guard before > head.oldest else { return head.oldest }
        let promise = eventLoop.makePromise(of: MutationOutcome.self)
        writer.submit(MutationRequest(.compact(before: before), peer: Peer(pid: 0, uid: 0, gid: 0)), promise: promise)
        guard case .compacted(let oldest) = try await promise.futureResult.get() else { return head.oldest }
        logger.debug("compacted", metadata: ["oldest": "\(oldest)"])
        return oldest
    }

    /// The LSN of the first retained record written at or after `time` (or `lsn + 1`
    /// when there is none), by binary search: record times only grow with LSNs.
    private func firstRecord(atOrAfter time: Milliseconds, oldest: LSN, lsn: LSN) throws -> LSN {
        var low = oldest
        var high = lsn + 1
        while low < high {
            let middle = low + (high - low) / 2
            let record = try store.log(LogQuery(from: middle, limit: 1)).records.first
            if let record, record.time < time {
                low = record.lsn + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
