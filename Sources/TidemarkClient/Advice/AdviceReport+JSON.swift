import TidemarkProtocol
import TidemarkStore

extension AdviceReport {
    /// For tools: fractions in [0, 1] rounded to 4 places, times in milliseconds, rates
    /// per second; a horizon the window could not measure is null.
    public var json: JSONValue {
        .object(
            JSONObject([
                (
                    "window",
                    .object(
                        JSONObject([
                            ("start", JSONValue(window.lowerBound)), ("end", JSONValue(window.upperBound)),
                            ("duration_ms", JSONValue(window.upperBound - window.lowerBound)),
                        ]))
                ),
                ("records", JSONValue(records)),
                (
                    "sampling",
                    .object(
                        JSONObject([
                            ("entries", JSONValue(samples)), ("stamps", "evenly spaced"),
                            ("keys", .string(Self.keySampling)),
                        ]))
                ),
                ("tables", .array(tables.map(\.json))),
            ]))
    }
}

extension TableAdvice {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("table", .string(table)), ("writes", JSONValue(writes)), ("wide_writes", JSONValue(wideWrites)),
            ("write_rate", .double(Self.rounded(writeRate))), ("wide_share", .double(Self.rounded(wideShare))),
            ("keys_touched", JSONValue(keysTouched)), ("distinct_keys", JSONValue(distinctKeys)),
            ("keys_written_again", JSONValue(keysWrittenAgain)),
            ("median_table_gap_ms", medianTableGap.map { JSONValue($0) } ?? .null),
            ("median_key_gap_ms", medianKeyGap.map { JSONValue($0) } ?? .null),
            ("hot_keys", .array(hotKeys.map { .object(JSONObject([("key", .string($0.key)), ("writes", JSONValue($0.writes))])) })),
            ("validity", .object(JSONObject([("table", Self.json(tableValidity)), ("key", Self.json(keyValidity))]))),
            (
                "advice",
                .object(
                    JSONObject([
                        ("kind", .string(recommendation.kind.rawValue)), ("deps", .string(recommendation.deps.rawValue)),
                        ("ttl_ms", recommendation.ttl.map { JSONValue($0) } ?? .null),
                        ("summary", .string(recommendation.summary)), ("reason", .string(recommendation.reason)),
                    ]))
            ),
        ]
        if let counters { members.append(("counters", .object(counters))) }
        return .object(JSONObject(members))
    }

    private static func json(_ validity: DepValidity) -> JSONValue {
        .object(
            JSONObject([
                (
                    "after",
                    .object(
                        JSONObject(validity.points.map { point in
                            ("\(point.horizon)ms", point.fraction.map { .double(rounded($0)) } ?? .null)
                        }))
                ),
                ("half_life_ms", JSONValue(validity.halfLife)),
                ("half_life_is_lower_bound", .bool(validity.halfLifeIsLowerBound)),
            ]))
    }

    static func rounded(_ value: Double) -> Double {
        (value * 10_000).rounded() / 10_000
    }
}
