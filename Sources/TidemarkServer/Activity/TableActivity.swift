import TidemarkProtocol
import TidemarkStore

/// What the server has seen of one table: how it is written and how entries depending
/// on it fare when checked. The raw material for choosing a caching strategy.
struct TableActivity: Sendable, Hashable {
    /// Records that advanced the table's versions: `write`, `commit` and `expire`.
    var writes: UInt64 = 0
    /// Of those, the ones that changed the whole table.
    var wideWrites: UInt64 = 0
    /// Keys named by those records, counted once per record.
    var keysTouched: UInt64 = 0
    var distinctKeys = DistinctCounter()
    var intentsOpened: UInt64 = 0
    var intentsCommitted: UInt64 = 0
    var intentsAborted: UInt64 = 0
    var intentsExpired: UInt64 = 0
    var namesRegistered: UInt64 = 0
    /// Names dropped by records touching the table.
    var namesInvalidated: UInt64 = 0
    var checks = CheckOutcomes()
    var firstWriteAt: Milliseconds?
    var lastWriteAt: Milliseconds?

    mutating func count(_ committed: CommittedRecord, change: Change) {
        let record = committed.record
        switch record.kind {
        case .begin: intentsOpened += 1
        case .abort: intentsAborted += 1
        case .commit: intentsCommitted += 1
        case .expire: intentsExpired += 1
        case .write: break
        }
        guard record.kind.advancesVersions else { return }
        writes += 1
        if let keys = change.keys, !keys.isEmpty {
            keysTouched += UInt64(keys.count)
            for key in keys { distinctKeys.insert(key) }
        } else {
            wideWrites += 1
        }
        namesInvalidated += UInt64(committed.invalidated.count)
        if firstWriteAt == nil { firstWriteAt = record.time }
        lastWriteAt = record.time
    }
}

/// How checks of entries were answered, by outcome.
struct CheckOutcomes: Sendable, Hashable {
    var valid: UInt64 = 0
    var byReason: [InvalidReason: UInt64] = [:]

    mutating func count(_ reason: InvalidReason?) {
        if let reason { byReason[reason, default: 0] += 1 } else { valid += 1 }
    }

    var total: UInt64 { valid + byReason.values.reduce(0, +) }
}
