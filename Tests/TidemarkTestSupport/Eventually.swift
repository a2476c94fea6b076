/// Waiting for a state that a server reaches on its own clock (a background sweep, a
/// retention pass): polls an observed condition, never a fixed wait standing in for it.
public enum Eventually {
    /// Whether `condition` held within `timeout`, asked every 20 ms.
    public static func holds(
        within timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
