import Histogram

/// Counts and latencies of the connections served by one event loop. Only that loop
/// touches it, so recording needs no lock; the runner merges the loops' results.
final class LoopRecorder {
    private(set) var results = LoadResults()

    func record(latencyNanoseconds: UInt64, operation: BenchOperation) {
        results.record(latencyNanoseconds: latencyNanoseconds, operation: operation)
    }

    func recordError() {
        results.errors += 1
    }

    /// Any answer, in the window or not (warm-up, or after the window ended).
    func recordAnswers(_ count: Int) {
        results.answered += count
    }
}

/// What one or more connections measured inside the window.
struct LoadResults: Sendable {
    /// Nanoseconds, 1 µs to 100 s at 3 significant digits.
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1_000, highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)
    var operations: [Int] = Array(repeating: 0, count: BenchOperation.allCases.count)
    /// Error responses, counted over the whole run (warm-up included).
    var errors = 0
    /// Every answer of the run, warm-up and stragglers after the window included.
    var answered = 0

    mutating func record(latencyNanoseconds: UInt64, operation: BenchOperation) {
        latency.record(max(latencyNanoseconds, 1_000))
        operations[operation.rawValue] += 1
    }

    mutating func merge(_ other: LoadResults) {
        latency.add(other.latency)
        for index in operations.indices { operations[index] += other.operations[index] }
        errors += other.errors
        answered += other.answered
    }
}
