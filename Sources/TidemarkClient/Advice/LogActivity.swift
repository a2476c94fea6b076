import TidemarkStore

/// The log reduced to what the advice and the report need, built page by page so a long
/// log is never held in memory: per-table write timelines, and how many records share
/// each millisecond (a proxy for group-commit batches).
///
///     var activity = LogActivity(since: start)
///     try await client.readLog(filter: filter, limit: .max) { activity.add($0) }
///     let advice = Advisor.advise(activity.finished(), window: start...now)
public struct LogActivity: Sendable {
    /// Only these tables are kept; nil for all.
    public let only: Set<String>?
    /// Records before this time (or after `until`) are ignored.
    public let since: Milliseconds?
    public let until: Milliseconds?

    public private(set) var tables: [String: TableTimeline] = [:]
    /// Records kept, of every kind.
    public private(set) var records = 0
    public private(set) var firstTime: Milliseconds?
    public private(set) var lastTime: Milliseconds?
    /// How many runs of consecutive records shared one millisecond timestamp, by run
    /// length. The server's writer gives the records of one group commit nearly the same
    /// time, so this approximates the batch sizes; it is only a proxy (a commit can span a
    /// millisecond boundary, and two commits can fall in one millisecond).
    public private(set) var recordsPerMillisecond: [Int: Int] = [:]

    private var runTime: Milliseconds?
    private var runLength = 0

    public init(tables: Set<String>? = nil, since: Milliseconds? = nil, until: Milliseconds? = nil) {
        self.only = tables
        self.since = since
        self.until = until
    }

    /// Adds records in LSN order.
    public mutating func add(_ records: some Sequence<Record>) {
        for record in records { add(record) }
    }

    public mutating func add(_ record: Record) {
        if let since, record.time < since { return }
        if let until, record.time > until { return }
        records += 1
        firstTime = min(firstTime ?? record.time, record.time)
        lastTime = max(lastTime ?? record.time, record.time)
        if record.time == runTime {
            runLength += 1
        } else {
            closeRun()
            runTime = record.time
            runLength = 1
        }
        guard record.kind.advancesVersions else { return }
        // One record counts once per table, however many changes it has for it.
        var byTable: [String: Set<String>?] = [:]
        for change in record.changes {
            if let only, !only.contains(change.table) { continue }
            switch (byTable[change.table], change.keys) {
            case (.none, let keys):
                // `.some` explicitly: assigning a nil `Set?` would remove the entry.
                byTable[change.table] = .some(keys.map(Set.init))
            case (.some(.some(let seen)), .some(let keys)):
                byTable[change.table] = seen.union(keys)
            default:
                byTable[change.table] = .some(nil)
            }
        }
        for (table, keys) in byTable {
            tables[table, default: TableTimeline(table: table)].add(time: record.time, keys: keys)
        }
    }

    /// The activity ready for analysis: times sorted, the last run counted. Tables named
    /// in `include` appear even when they were not written.
    public func finished(including include: [String] = []) -> LogActivity {
        var copy = self
        copy.closeRun()
        for table in include where copy.tables[table] == nil {
            copy.tables[table] = TableTimeline(table: table)
        }
        for table in copy.tables.keys { copy.tables[table]?.sortTimes() }
        return copy
    }

    private mutating func closeRun() {
        if runLength > 0 { recordsPerMillisecond[runLength, default: 0] += 1 }
        runTime = nil
        runLength = 0
    }
}
