import TidemarkProtocol
import TidemarkStore

extension TidemarkClient {
    /// The log's records written from `since` to `until` (every retained one when `since`
    /// is nil), reduced to a `LogActivity`, page by page. `tables` narrows it (empty for
    /// every table); named tables appear even when they were not written.
    public func readActivity(
        since: Milliseconds?, until: Milliseconds, tables: [String] = []
    ) async throws(TidemarkClientError) -> LogActivity {
        var activity = LogActivity(tables: tables.isEmpty ? nil : Set(tables), since: since, until: until)
        var start: LSN?
        if let since { start = try await firstLSN(atOrAfter: since) }
        let filter = LogFilter(tables: tables, fromLSN: start, since: since, until: until)
        try await readLog(filter: filter, limit: .max) { activity.add($0) }
        return activity.finished(including: tables)
    }

    /// The first retained record stamped at or after `time`, found by bisecting the LSNs
    /// (record times follow LSN order unless the server's clock stepped back, and the
    /// time filter still applies after this), so `--since 10m` does not read a long log
    /// from its start. One past the last record when none is that recent.
    func firstLSN(atOrAfter time: Milliseconds) async throws(TidemarkClientError) -> LSN {
        let bounds = try await log(LogMethod.Params(limit: 0))
        var low = bounds.oldest
        var high = try await hello().lsn + 1
        while low < high {
            let middle = low + (high - low) / 2
            let page = try await log(LogMethod.Params(from: middle, limit: 1))
            guard let record = page.records.first else {
                high = middle
                continue
            }
            if record.time < time { low = record.lsn + 1 } else { high = middle }
        }
        return low
    }

    /// `stats` with per-table counters for `tables` when the server has them (`stats
    /// {tables}`, answered under `per_table`), else plain `stats`: an older server
    /// refuses the parameter with -32602 and the totals still help.
    public func statsWithTables(_ tables: [String]) async throws(TidemarkClientError) -> (
        totals: JSONObject?, perTable: JSONObject?
    ) {
        do {
            let json = try await call(
                RPCMethod.stats.rawValue, params: .object(["tables": .array(tables.map(JSONValue.string))]))
            let totals = json.objectValue
            let perTable = (totals?["per_table"] ?? totals?["tables"])?.objectValue
            return (totals, perTable)
        } catch where error.rpcError?.code == RPCError.Code.invalidParams {
            return (try await stats().objectValue, nil)
        }
    }
}
