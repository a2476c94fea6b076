import Logging
import TidemarkStore

extension ActivityCounters {
    /// Merges in what `restoring` finds (a failure is logged: the counters then start
    /// from live traffic). Each application calls it before it listens, so that no `stats`
    /// answers with part of them.
    func restore(
        saved: () async throws -> [UInt8]?, upTo lsn: LSN, log: (LogQuery) async throws -> LogPage, logger: Logger
    ) async {
        do {
            let (restored, replayed) = try await Self.restoring(
                saved: try await saved(), upTo: lsn, countingSince: snapshot().countingSince, log: log)
            merge(restored)
            logger.debug("activity counters restored", metadata: ["replayed": "\(replayed)", "lsn": "\(lsn)"])
        } catch {
            logger.warning("activity counters not restored", metadata: ["error": "\(error)"])
        }
    }

    /// The counters as of `lsn`: the `saved` snapshot (what `takeChangesForSaving` gave)
    /// plus the records after it up to `lsn`, replayed from `log`; every record the log
    /// holds when nothing was saved. Records compacted away since the snapshot are simply
    /// not counted, and which names a replayed record invalidated is not in the log.
    static func restoring(
        saved: [UInt8]?, upTo lsn: LSN, countingSince fallback: Milliseconds,
        log: (LogQuery) async throws -> LogPage
    ) async throws -> (state: State, replayed: Int) {
        let oldest = max(try await log(LogQuery(limit: 0)).oldest, 1)
        var restored: State
        if let snapshot = saved.flatMap(ActivityCoding.decode) {
            restored = snapshot
        } else {
            let firstTime = try await log(LogQuery(from: oldest, limit: 1)).records.first?.time
            restored = State(countingSince: firstTime ?? fallback)
        }
        var from = max(restored.coveredLSN + 1, oldest)
        var replayed = 0
        while from <= lsn {
            let page = try await log(LogQuery(from: from, limit: 10_000))
            for record in page.records where record.lsn > restored.coveredLSN && record.lsn <= lsn {
                count(CommittedRecord(record: record, invalidated: []), into: &restored)
                replayed += 1
            }
            guard page.next > from else { break }
            from = page.next
        }
        restored.coveredLSN = max(restored.coveredLSN, lsn)
        return (restored, replayed)
    }
}
