import Synchronization

/// Counts requests seen by a scripted server's reply closure.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// The count after this increment.
    func increment() -> Int {
        value.withLock { value in
            value += 1
            return value
        }
    }
}
