import Synchronization
import TidemarkStore

/// Live counters of the server itself, beside what the store counts.
public final class ServerStatistics: Sendable {
    let startedAt: Milliseconds
    private let openConnections = Atomic<Int>(0)
    private let acceptedConnections = Atomic<Int>(0)
    private let refusedConnections = Atomic<Int>(0)

    init(startedAt: Milliseconds) {
        self.startedAt = startedAt
    }

    func connectionOpened() {
        openConnections.add(1, ordering: .relaxed)
        acceptedConnections.add(1, ordering: .relaxed)
    }

    func connectionRefused() {
        refusedConnections.add(1, ordering: .relaxed)
    }

    func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    public var connections: Int { openConnections.load(ordering: .relaxed) }
    public var connectionsAccepted: Int { acceptedConnections.load(ordering: .relaxed) }
    public var connectionsRefused: Int { refusedConnections.load(ordering: .relaxed) }
}
