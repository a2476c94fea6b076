import Synchronization
import TidemarkProtocol
import TidemarkStore

/// Per-table activity counters, kept in memory on the hot path (one short lock per
/// committed batch and per `check`) and persisted by `ActivityRecorder`.
final class ActivityCounters: Sendable {
    struct State: Sendable {
        var tables: [String: TableActivity] = [:]
        /// Every check answered, including checks by name (which have no tables).
        var checks = CheckOutcomes()
        var countingSince: Milliseconds
        /// The newest LSN counted: records up to it are in `tables`.
        var coveredLSN: LSN = 0
        var changedSinceSave = false
    }

    private let state: Mutex<State>
    /// Tables tracked one by one; later ones are pooled under `overflowTable`, so clients
    /// naming endless distinct tables cannot grow the server's memory without bound.
    static let maxTables = 10_000
    static let overflowTable = "(other tables)"

    init(countingSince: Milliseconds) {
        state = Mutex(State(countingSince: countingSince))
    }

    /// Counts committed records (called by the writer after each batch).
    func count(_ records: [CommittedRecord]) {
        guard !records.isEmpty else { return }
        state.withLock { state in
            for committed in records { Self.count(committed, into: &state) }
            state.changedSinceSave = true
        }
    }

    static func count(_ committed: CommittedRecord, into state: inout State) {
        // A record naming a table twice still counts once for it.
        forEachDistinctTable(committed.record.changes, \.table) { change in
            state.tables[trackedName(change.table, in: state), default: TableActivity()].count(committed, change: change)
        }
        state.coveredLSN = max(state.coveredLSN, committed.record.lsn)
    }

    /// Calls `body` for the first item of each table, in order. This runs for every
    /// `check`, so the usual handful of items is deduplicated without allocating a set.
    static func forEachDistinctTable<Item>(_ items: [Item], _ table: (Item) -> String, _ body: (Item) -> Void) {
        guard items.count > 16 else {
            for (index, item) in items.enumerated() {
                let name = table(item)
                if !items[..<index].contains(where: { table($0) == name }) { body(item) }
            }
            return
        }
        var seen: Set<String> = []
        for item in items where seen.insert(table(item)).inserted { body(item) }
    }

    static func trackedName(_ table: String, in state: State) -> String {
        state.tables[table] != nil || state.tables.count < maxTables ? table : overflowTable
    }

    /// Counts each entry's answer once for every table among its dependencies.
    func countChecks(_ queries: [CheckQuery], _ results: [Validity]) {
        state.withLock { state in
            for (query, result) in zip(queries, results) {
                state.checks.count(result.reason)
                guard case .stamp(_, let deps) = query else { continue }
                Self.forEachDistinctTable(deps, \.table) { dep in
                    state.tables[Self.trackedName(dep.table, in: state), default: TableActivity()].checks.count(result.reason)
                }
            }
            state.changedSinceSave = true
        }
    }

    func countRegistration(_ deps: [Dep]) {
        state.withLock { state in
            for table in Set(deps.map(\.table)) {
                state.tables[Self.trackedName(table, in: state), default: TableActivity()].namesRegistered += 1
            }
            state.changedSinceSave = true
        }
    }

    func snapshot() -> State {
        state.withLock { $0 }
    }

    /// Adds counts restored at startup (a saved snapshot, or records replayed from the
    /// log) to whatever live traffic has been counted meanwhile; the ranges never overlap.
    func merge(_ restored: State) {
        state.withLock { state in
            for (table, activity) in restored.tables {
                state.tables[table, default: TableActivity()].merge(activity)
            }
            state.checks.merge(restored.checks)
            state.countingSince = min(state.countingSince, restored.countingSince)
            state.coveredLSN = max(state.coveredLSN, restored.coveredLSN)
            state.changedSinceSave = true
        }
    }

    /// The encoded state if anything changed since the last call, marking it saved.
    func takeChangesForSaving() -> [UInt8]? {
        state.withLock { state in
            guard state.changedSinceSave else { return nil }
            state.changedSinceSave = false
            return ActivityCoding.encode(state)
        }
    }
}

extension TableActivity {
    mutating func merge(_ other: TableActivity) {
        writes += other.writes
        wideWrites += other.wideWrites
        keysTouched += other.keysTouched
        distinctKeys.merge(other.distinctKeys)
        intentsOpened += other.intentsOpened
        intentsCommitted += other.intentsCommitted
        intentsAborted += other.intentsAborted
        intentsExpired += other.intentsExpired
        namesRegistered += other.namesRegistered
        namesInvalidated += other.namesInvalidated
        checks.merge(other.checks)
        firstWriteAt = [firstWriteAt, other.firstWriteAt].compactMap { $0 }.min()
        lastWriteAt = [lastWriteAt, other.lastWriteAt].compactMap { $0 }.max()
    }
}

extension CheckOutcomes {
    mutating func merge(_ other: CheckOutcomes) {
        valid += other.valid
        for (reason, count) in other.byReason { byReason[reason, default: 0] += count }
    }
}
