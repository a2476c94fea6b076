import Logging
import ServiceLifecycle
import TidemarkStore

/// The retention policy on a remote store: every `interval` it works out the first record
/// to keep and compacts through the store. LSNs there have gaps, so the record count is
/// the store's and the cut is found by reading the log, never by subtracting LSNs. Every
/// server of a fleet may run it: the same policy gives the same cut, and a compaction at
/// or below the oldest changes nothing.
final class RemoteRetainer: Service {
    private let policy: RetentionPolicy
    private let store: any RemoteVersionStore
    private let logger: Logger
    private let interval: Duration
    /// The most records one pass removes, and the longest log page it reads.
    static let maxPerPass = 100_000
    static let pageLimit = 10_000

    init(policy: RetentionPolicy, store: any RemoteVersionStore, logger: Logger, interval: Duration = .seconds(1)) {
        self.policy = policy
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        try await policy.runPasses(every: interval, logger: logger) { try await self.compactOnce() }
    }

    /// One pass: returns the oldest retained LSN afterwards.
    @discardableResult
    func compactOnce() async throws -> LSN {
        let statistics = try await store.statistics()
        var excess = 0
        if let maxRecords = policy.maxRecords, UInt64(statistics.records) > maxRecords {
            excess = statistics.records - Int(maxRecords)
        }
        let before = try await firstKept(
            from: statistics.oldest, skipping: min(excess, Self.maxPerPass),
            youngerThan: policy.maxAge.map { age in
                let now = LMDBStore.wallClock()
                return now >= age ? now - age : 0
            })
        guard let before, before > statistics.oldest else { return statistics.oldest }
        guard case .compacted(let oldest) = try await store.apply(MutationRequest(.compact(before: before), peer: Peer(pid: 0, uid: 0, gid: 0))) else {
            return statistics.oldest
        }
        logger.debug("compacted", metadata: ["oldest": "\(oldest)"])
        return oldest
    }

    /// The LSN to compact before: the first record kept, past the first `skipping` records
    /// from `oldest` and every record older than `youngerThan` (ms since 1970), at most
    /// `maxPerPass` records on; nil when nothing is to go.
    private func firstKept(from oldest: LSN, skipping: Int, youngerThan: Milliseconds?) async throws -> LSN? {
        var before: LSN?
        var from = oldest
        var passed = 0
        while passed < Self.maxPerPass {
            let page = try await store.log(LogQuery(from: from, limit: Self.pageLimit))
            guard !page.records.isEmpty else { break }
            for record in page.records {
                let tooOld = youngerThan.map { record.time < $0 } ?? false
                guard passed < skipping || tooOld, passed < Self.maxPerPass else { return passed > 0 ? record.lsn : nil }
                before = record.lsn + 1
                passed += 1
            }
            from = page.next
        }
        return before
    }
}
