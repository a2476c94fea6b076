import Synchronization

/// Set when graceful shutdown begins: from then on a connection answers each new
/// request with -32006 until its input is closed at the end of the grace period.
final class ShutdownFlag: Sendable {
    private let draining = Atomic<Bool>(false)

    var isDraining: Bool { draining.load(ordering: .acquiring) }

    func begin() {
        draining.store(true, ordering: .releasing)
    }
}
