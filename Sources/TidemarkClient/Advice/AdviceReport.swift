import TidemarkStore

/// The advice for every table over one window of the log.
public struct AdviceReport: Hashable, Sendable {
    /// Milliseconds since the Unix epoch, both ends included.
    public var window: ClosedRange<Milliseconds>
    /// Records read in the window, of every kind.
    public var records: Int
    /// Hypothetical entries replayed per table, dep kind and horizon.
    public var samples: Int
    public var horizons: [Milliseconds]
    /// Most written first.
    public var tables: [TableAdvice]

    /// How keys are chosen for key-dep entries (see `ValidityReplay`).
    public static let keySampling = "uniformly among the keys written in the window"

    public init(
        window: ClosedRange<Milliseconds>, records: Int, samples: Int, horizons: [Milliseconds], tables: [TableAdvice]
    ) {
        self.window = window
        self.records = records
        self.samples = samples
        self.horizons = horizons
        self.tables = tables
    }
}
