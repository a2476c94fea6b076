import TidemarkProtocol
import TidemarkStore

extension TidemarkClient {
    /// Reads the log page by page from `from` (the oldest retained record when nil),
    /// handing each non-empty page to `body`, until `limit` records were read or the end
    /// of the log is reached. Returns the number of records read.
    @discardableResult
    public func readLog(
        from: LSN? = nil, tables: [String]? = nil, limit: Int,
        _ body: ([Record]) -> Void
    ) async throws(TidemarkClientError) -> Int {
        var from = from
        var count = 0
        while count < limit {
            let page = try await log(LogMethod.Params(from: from, limit: limit - count, tables: tables))
            let records = page.records.prefix(limit - count)
            if let last = page.records.last, page.next <= last.lsn {
                // Following such a `next` would read the same records again, forever.
                throw TidemarkClientError(
                    .invalidResponse, "a log page ending at lsn \(last.lsn) gave next \(page.next)")
            }
            if !records.isEmpty { body(Array(records)) }
            count += records.count
            // A page with a table filter may be empty yet not the end (the server bounds
            // how far one page scans); only a page that did not move `next` is the end.
            if records.isEmpty && from == page.next { break }
            from = page.next
        }
        return count
    }
}
