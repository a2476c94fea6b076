import Foundation
import TidemarkStore

extension EtcdVersions {
    /// Records from `from` on, oldest first, read linearizably: a page read after a write
    /// was acknowledged by any server holds it. LSNs have gaps (§16.1), so `next` is the
    /// LSN after the last record scanned, not a count. `oldest` is the caller's
    /// linearizable read of it; the page starts there at the earliest.
    public func log(from: LSN?, limit: Int, tables: Set<String>?, oldest: LSN) async throws(EtcdError) -> LogPage {
        let start = max(from ?? oldest, oldest)
        guard limit > 0 else { return LogPage(records: [], next: start, oldest: oldest) }
        // etcd cannot filter by table, so a filtered page scans further and keeps what
        // matches.
        let scan = tables == nil ? limit : max(limit, Self.logScanLimit)
        let page = try await client.range(
            EtcdRangeRequest(
                key: layout.records, rangeEnd: EtcdKeys.prefixEnd(layout.records), limit: Int64(scan),
                sortOrder: .ascending, sortTarget: .modRevision, minModRevision: Int64(clamping: start)))
        var records: [Record] = []
        var next = start
        for kv in page.kvs where records.count < limit {
            next = LSN(kv.modRevision) + 1
            guard let record = StoredRecord.decode(kv) else {
                throw EtcdError(.protocolViolation, "the record at revision \(kv.modRevision) cannot be read")
            }
            if tables.map({ record.touches(anyOf: $0) }) ?? true { records.append(record) }
        }
        return LogPage(records: records, next: next, oldest: oldest)
    }

    /// The most records one filtered page scans.
    static let logScanLimit = 10_000
}
