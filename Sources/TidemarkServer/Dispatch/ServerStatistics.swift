import Synchronization
import TidemarkStore

/// Live counters of the server itself, beside what the store counts.
public final class ServerStatistics: Sendable {
    let startedAt: Milliseconds
    private let openConnections = Atomic<Int>(0)
    private let acceptedConnections = Atomic<Int>(0)
    private let refusedConnections = Atomic<Int>(0)
    /// Mutations applied one by one on a remote backend (on LMDB the writer counts them).
    private let remoteMutations = Atomic<Int>(0)

    init(startedAt: Milliseconds) {
        self.startedAt = startedAt
    }

    /// Counts a new connection in, unless `limit` are open already (then it counts it
    /// refused).
    func admitConnection(limit: Int) -> Bool {
        var open = openConnections.load(ordering: .relaxed)
        while open < limit {
            let (exchanged, found) = openConnections.compareExchange(expected: open, desired: open + 1, ordering: .relaxed)
            if exchanged {
                acceptedConnections.add(1, ordering: .relaxed)
                return true
            }
            open = found
        }
        refusedConnections.add(1, ordering: .relaxed)
        return false
    }

    func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    func countRemoteMutation() {
        remoteMutations.add(1, ordering: .relaxed)
    }

    public var remoteMutationsApplied: Int { remoteMutations.load(ordering: .relaxed) }
    public var connections: Int { openConnections.load(ordering: .relaxed) }
    public var connectionsAccepted: Int { acceptedConnections.load(ordering: .relaxed) }
    public var connectionsRefused: Int { refusedConnections.load(ordering: .relaxed) }
}
