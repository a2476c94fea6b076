import TidemarkStore

/// A watch its connection accepted, handed to the connection's task to run as a
/// `WatchPump` once the answer that accepted it is written.
struct WatchStart: Sendable {
    let subscription: WatchSubscription
    let from: LSN?
    /// Where its backlog is read from.
    let backlog: any WatchBacklog
}
