import TidemarkProtocol
import TidemarkStore

/// Replays hypothetical cache entries against a table's write timeline.
///
/// An entry stamped at time `t` with a table dep is still valid at `t + h` iff no write to
/// the table lies in `(t, t + h]`; with a key dep, iff no write naming that key and no
/// wide write of the table lies there. Stamp times are `samples` evenly spaced points over
/// the part of the window where the whole horizon is observed, `[start, end - h]` (the
/// midpoints of equal slices, so the result is deterministic). For key deps each stamp
/// time gets one key drawn uniformly among the keys written in the window (seeded, so also
/// deterministic): every key is taken to be read equally often, whatever its write rate.
/// Keys never written in the window would fare better (only wide writes reach them), so
/// this is the pessimistic side of "uniform". Open intents are not replayed: an intent
/// makes its deps pending between `begin` and `commit`, which this does not count.
enum ValidityReplay {
    /// The fraction of entries on the whole table still valid `horizon` after their
    /// stamp, or nil when the window is shorter than the horizon.
    static func tableFraction(
        _ activity: TableTimeline, window: ClosedRange<Milliseconds>, horizon: Milliseconds, samples: Int
    ) -> Double? {
        guard let stamps = stampTimes(window: window, horizon: horizon, samples: samples) else { return nil }
        let valid = stamps.count { survives(activity.writeTimes, from: $0, for: horizon) }
        return Double(valid) / Double(stamps.count)
    }

    /// The fraction of entries on one key still valid `horizon` after their stamp, or nil
    /// when the window is shorter than the horizon. A table whose writes named no key is
    /// treated as having one key that only its wide writes reach.
    static func keyFraction(
        _ activity: TableTimeline, keys: [String], window: ClosedRange<Milliseconds>, horizon: Milliseconds,
        samples: Int, seed: UInt64
    ) -> Double? {
        guard let stamps = stampTimes(window: window, horizon: horizon, samples: samples) else { return nil }
        var generator = SplitMix64(seed: seed)
        let valid = stamps.count { stamp in
            let key = keys.isEmpty ? nil : keys[Int(generator.next() % UInt64(keys.count))]
            guard survives(activity.wideTimes, from: stamp, for: horizon) else { return false }
            return key.map { survives(activity.keyTimes[$0] ?? [], from: stamp, for: horizon) } ?? true
        }
        return Double(valid) / Double(stamps.count)
    }

    /// Evenly spaced stamp times whose horizon ends inside the window.
    static func stampTimes(window: ClosedRange<Milliseconds>, horizon: Milliseconds, samples: Int) -> [Milliseconds]? {
        let length = window.upperBound - window.lowerBound
        guard length >= horizon, samples > 0 else { return nil }
        let span = length - horizon
        let count = UInt64(samples)
        return (0..<count).map { index in
            // Midpoint of slice `index`, computed without overflow for spans of years.
            let (quotient, remainder) = span.quotientAndRemainder(dividingBy: 2 * count)
            return window.lowerBound + quotient * (2 * index + 1) + remainder * (2 * index + 1) / (2 * count)
        }
    }

    /// Whether no time in the sorted `times` lies in `(from, from + horizon]`.
    static func survives(_ times: [Milliseconds], from: Milliseconds, for horizon: Milliseconds) -> Bool {
        let next = firstIndex(after: from, in: times)
        return next == times.count || times[next] > from + horizon
    }

    /// The index of the first element greater than `time` (binary search).
    static func firstIndex(after time: Milliseconds, in times: [Milliseconds]) -> Int {
        var low = 0
        var high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
