import TidemarkStore

/// Turns a stretch of the change log into caching advice per table. Pure: the same log
/// and window always give the same advice, so it is tested on synthetic logs.
public enum Advisor {
    public struct Configuration: Hashable, Sendable {
        /// The horizons validity is reported at.
        public var horizons: [Milliseconds] = [1000, 10_000, 60_000]
        /// Hypothetical entries replayed per table, dep kind and horizon.
        public var samples = 1000
        /// How many of the most written keys to list.
        public var hotKeys = 5
        /// Seeds the uniform draw of keys for key-dep entries.
        public var seed: UInt64 = 0x7469_6465_6D61_726B
        /// Key deps are advised over table deps when, at some horizon, their entries are
        /// still valid this much more often (as a fraction: 0.2 is 20 points).
        public var keyAdvantage = 0.2

        public init() {}
    }

    /// Advice for every table in `activity` (see `LogActivity.finished`), over `window`:
    /// write rates are per second of the window, and entries are replayed inside it.
    public static func advise(
        _ activity: LogActivity, window: ClosedRange<Milliseconds>, configuration: Configuration = Configuration()
    ) -> AdviceReport {
        let seconds = max(Double(window.upperBound - window.lowerBound) / 1000, 0.001)
        let tables = activity.tables.values.map { table in
            advise(table, window: window, seconds: seconds, configuration: configuration)
        }.sorted { ($0.writeRate, $1.table) > ($1.writeRate, $0.table) }
        return AdviceReport(
            window: window, records: activity.records, samples: configuration.samples,
            horizons: configuration.horizons, tables: tables)
    }

    /// The same over records given at once: records outside `window` are ignored.
    public static func advise(
        records: [Record], window: ClosedRange<Milliseconds>, tables: Set<String>? = nil,
        configuration: Configuration = Configuration()
    ) -> AdviceReport {
        var activity = LogActivity(tables: tables, since: window.lowerBound, until: window.upperBound)
        activity.add(records)
        return advise(activity.finished(), window: window, configuration: configuration)
    }

    static func advise(
        _ activity: TableTimeline, window: ClosedRange<Milliseconds>, seconds: Double, configuration: Configuration
    ) -> TableAdvice {
        let keys = activity.keyTimes.keys.sorted()
        let samples = configuration.samples
        // Each table gets its own draw, so adding a table does not change another's numbers.
        let seed = configuration.seed ^ stableHash(activity.table)
        let tableValidity = DepValidity.measure(.table, horizons: configuration.horizons) { horizon in
            ValidityReplay.tableFraction(activity, window: window, horizon: horizon, samples: samples)
        }
        let keyValidity = DepValidity.measure(.key, horizons: configuration.horizons) { horizon in
            ValidityReplay.keyFraction(
                activity, keys: keys, window: window, horizon: horizon, samples: samples, seed: seed)
        }
        var keyGaps: [Milliseconds] = []
        var keysWrittenAgain = 0
        for times in activity.keyTimes.values where times.count > 1 {
            keysWrittenAgain += 1
            keyGaps += gaps(times)
        }
        let hotKeys = activity.keyTimes
            .map { HotKey(key: $0.key, writes: $0.value.count) }
            .sorted { ($0.writes, $1.key) > ($1.writes, $0.key) }
            .prefix(configuration.hotKeys)
        var advice = TableAdvice(
            table: activity.table, writes: activity.writes, wideWrites: activity.wideWrites,
            writeRate: Double(activity.writes) / seconds,
            wideShare: activity.writes == 0 ? 0 : Double(activity.wideWrites) / Double(activity.writes),
            keysTouched: activity.keysTouched, distinctKeys: activity.distinctKeys,
            keysWrittenAgain: keysWrittenAgain, medianTableGap: median(gaps(activity.writeTimes)),
            medianKeyGap: median(keyGaps), hotKeys: Array(hotKeys), tableValidity: tableValidity,
            keyValidity: keyValidity,
            recommendation: Recommendation(kind: .tableDeps, deps: .table, reason: ""))
        advice.recommendation = recommend(advice, configuration: configuration)
        return advice
    }

    /// The rules, in order:
    /// 1. Key deps are the better dependency when at some horizon their entries survive at
    ///    least `keyAdvantage` more often than table-dep entries; else table deps.
    /// 2. With that dependency, by its median lifetime (`halfLife`): a minute or more (or
    ///    longer than the window could show) → cache with it; 1 s to under a minute → a TTL
    ///    of about that lifetime; under 1 s → do not cache.
    static func recommend(_ advice: TableAdvice, configuration: Configuration) -> Recommendation {
        let advantage = configuration.horizons.compactMap { horizon -> Double? in
            guard let key = advice.keyValidity.fraction(at: horizon),
                  let table = advice.tableValidity.fraction(at: horizon)
            else { return nil }
            return key - table
        }.max() ?? 0
        let deps: DepKind = advantage >= configuration.keyAdvantage ? .key : .table
        let chosen = deps == .key ? advice.keyValidity : advice.tableValidity
        let other = deps == .key ? advice.tableValidity : advice.keyValidity
        let activity = activitySummary(advice)
        let lives = "half of them are still valid after \(lifetime(chosen))"
        if chosen.halfLifeIsLowerBound || chosen.halfLife >= 60_000 {
            let kind: Recommendation.Kind = deps == .key ? .keyDeps : .tableDeps
            let comparison = deps == .key
                ? "key-dep entries still valid after \(AdviceFormat.validity(chosen)); table-dep entries only \(AdviceFormat.validity(other))"
                : "table-dep entries still valid after \(AdviceFormat.validity(chosen)) (key deps: \(AdviceFormat.validity(other)), no clear gain)"
            return Recommendation(kind: kind, deps: deps, reason: "\(comparison); \(lives); \(activity)")
        }
        let both = "still valid after: \(deps.rawValue) deps \(AdviceFormat.validity(chosen)); \(other.kind.rawValue) deps \(AdviceFormat.validity(other))"
        if chosen.halfLife >= 1000 {
            return Recommendation(
                kind: .ttl, deps: deps, ttl: chosen.halfLife,
                reason: "half of the entries with \(deps.rawValue) deps are still valid after \(lifetime(chosen)), fewer than half after a minute; \(both); \(activity)")
        }
        return Recommendation(
            kind: .doNotCache, deps: deps,
            reason: "most entries are invalidated within a second: \(both); \(activity)")
    }

    private static func lifetime(_ validity: DepValidity) -> String {
        if validity.halfLifeIsLowerBound {
            return validity.halfLife == 0
                ? "the whole window (too short to measure)" : "\(AdviceFormat.duration(validity.halfLife)) or more (the longest the window shows)"
        }
        return validity.halfLife == 0 ? "less than 100ms" : AdviceFormat.duration(validity.halfLife)
    }

    private static func activitySummary(_ advice: TableAdvice) -> String {
        var parts = ["\(AdviceFormat.rate(advice.writeRate)) writes/s", "\(AdviceFormat.percent(advice.wideShare)) wide"]
        if let gap = advice.medianTableGap { parts.append("median \(AdviceFormat.duration(gap)) between writes") }
        if advice.distinctKeys > 0 { parts.append("\(advice.distinctKeys) key\(advice.distinctKeys == 1 ? "" : "s") written") }
        return parts.joined(separator: ", ")
    }

    static func gaps(_ times: [Milliseconds]) -> [Milliseconds] {
        guard times.count > 1 else { return [] }
        return (1..<times.count).map { times[$0] - times[$0 - 1] }
    }

    static func median(_ values: [Milliseconds]) -> Milliseconds? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : sorted[middle - 1] + (sorted[middle] - sorted[middle - 1]) / 2
    }

    /// FNV-1a: `Hasher` is seeded per process, and the draw must repeat across runs.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
