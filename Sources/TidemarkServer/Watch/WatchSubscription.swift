import Synchronization
import TidemarkStore

/// One watcher's live feed, as handed out by `WatchHub.subscribe`.
struct WatchSubscription: Sendable {
    let id: UInt64
    /// The last LSN published when the watch started: replay covers up to it, the live
    /// feed everything after it.
    let startLSN: LSN
    let tables: Set<String>?
    let events: AsyncStream<CommittedRecord>
    let lost: LostFlag

    /// Set by the hub when it dropped the watcher for falling behind, so the pump can tell
    /// a lost watch from one ended by `unwatch`.
    final class LostFlag: Sendable {
        private let value = Atomic<Bool>(false)

        func set() {
            value.store(true, ordering: .releasing)
        }

        var isSet: Bool {
            value.load(ordering: .acquiring)
        }
    }
}
