import Synchronization
import TidemarkStore

/// Fans committed records out to watchers. The writer publishes each batch's records in
/// LSN order right after they are durable; each watcher has a bounded backlog, and one
/// that falls behind it is dropped (and told so) rather than growing server memory.
final class WatchHub: Sendable {
    /// Records a watcher may have waiting before it is dropped.
    let backlogLimit: Int
    private let state: Mutex<State>

    private struct State {
        var lastPublished: LSN
        var nextID: UInt64 = 1
        var watchers: [UInt64: Watcher] = [:]
    }

    private struct Watcher {
        var tables: Set<String>?
        var sink: AsyncStream<CommittedRecord>.Continuation
        var lost: WatchSubscription.LostFlag
    }

    init(lastPublished: LSN, backlogLimit: Int = 4096) {
        self.backlogLimit = backlogLimit
        state = Mutex(State(lastPublished: lastPublished))
    }

    var watcherCount: Int {
        state.withLock { $0.watchers.count }
    }

    /// Starts a live subscription. Every record after `startLSN` reaches it; records up to
    /// `startLSN` are in the log for replay. Taken under the same lock as `publish`, so
    /// the seam between the two has no gap and no overlap.
    func subscribe(tables: Set<String>?) -> WatchSubscription {
        let (events, sink) = AsyncStream.makeStream(
            of: CommittedRecord.self, bufferingPolicy: .bufferingOldest(backlogLimit))
        let lost = WatchSubscription.LostFlag()
        return state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.watchers[id] = Watcher(tables: tables, sink: sink, lost: lost)
            return WatchSubscription(id: id, startLSN: state.lastPublished, tables: tables, events: events, lost: lost)
        }
    }

    /// Ends a subscription; returns whether it existed.
    @discardableResult
    func unsubscribe(_ id: UInt64) -> Bool {
        let watcher = state.withLock { $0.watchers.removeValue(forKey: id) }
        watcher?.sink.finish()
        return watcher != nil
    }

    func publish(_ records: [CommittedRecord]) {
        var dropped: [Watcher] = []
        state.withLock { state in
            guard let last = records.last else { return }
            state.lastPublished = last.record.lsn
            for (id, watcher) in state.watchers {
                for record in records where watcher.tables.map({ record.record.touches(anyOf: $0) }) ?? true {
                    if case .dropped = watcher.sink.yield(record) {
                        watcher.lost.set()
                        dropped.append(watcher)
                        state.watchers[id] = nil
                        break
                    }
                }
            }
        }
        for watcher in dropped { watcher.sink.finish() }
    }

    /// The records' source starts again after `lsn`, having missed some: every watcher is
    /// dropped as lost (it resumes from the log, where those records are), and new
    /// subscriptions start after `lsn`.
    func restart(after lsn: LSN) {
        let dropped = state.withLock { state in
            state.lastPublished = max(state.lastPublished, lsn)
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        for watcher in dropped {
            watcher.lost.set()
            watcher.sink.finish()
        }
    }
}
