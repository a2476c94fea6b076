import TidemarkStore

/// Which dependency a hypothetical cache entry has.
public enum DepKind: String, Hashable, Sendable {
    /// The whole table (`{table}`).
    case table
    /// One key of it (`{table, key}`).
    case key
}

/// How long entries with one kind of dependency stay valid on a table.
public struct DepValidity: Hashable, Sendable {
    /// The fraction still valid after a horizon; nil when the window is shorter.
    public struct Point: Hashable, Sendable {
        public var horizon: Milliseconds
        public var fraction: Double?

        public init(horizon: Milliseconds, fraction: Double?) {
            self.horizon = horizon
            self.fraction = fraction
        }
    }

    public var kind: DepKind
    /// At the horizons asked for (1 s, 10 s, 60 s by default), in that order.
    public var points: [Point]
    /// The longest horizon of a fixed ladder (100 ms … 1 d) after which at least half the
    /// entries are still valid: a median lifetime, rounded down to a step. 0 when not
    /// even half survive 100 ms.
    public var halfLife: Milliseconds
    /// `halfLife` is the longest horizon the window could measure, not where validity fell
    /// below one half: entries may live longer.
    public var halfLifeIsLowerBound: Bool

    public init(kind: DepKind, points: [Point], halfLife: Milliseconds, halfLifeIsLowerBound: Bool) {
        self.kind = kind
        self.points = points
        self.halfLife = halfLife
        self.halfLifeIsLowerBound = halfLifeIsLowerBound
    }

    /// The fraction at `horizon`, if it was measured.
    public func fraction(at horizon: Milliseconds) -> Double? {
        points.first { $0.horizon == horizon }?.fraction
    }

    /// The steps `halfLife` is measured on.
    static let ladder: [Milliseconds] = [
        100, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000,
        1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
    ]

    /// Measures at `horizons` and along the ladder with `fraction`.
    static func measure(
        _ kind: DepKind, horizons: [Milliseconds], fraction: (Milliseconds) -> Double?
    ) -> DepValidity {
        let points = horizons.map { Point(horizon: $0, fraction: fraction($0)) }
        var halfLife: Milliseconds = 0
        var lowerBound = true
        for step in ladder {
            guard let value = fraction(step) else { break }
            if value < 0.5 {
                lowerBound = false
                break
            }
            halfLife = step
        }
        return DepValidity(kind: kind, points: points, halfLife: halfLife, halfLifeIsLowerBound: lowerBound)
    }
}
