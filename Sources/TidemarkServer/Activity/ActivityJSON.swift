import TidemarkProtocol
import TidemarkStore

/// The activity counters as `stats` reports them.
enum ActivityJSON {
    static func table(_ activity: TableActivity, now: Milliseconds, since: Milliseconds) -> JSONValue {
        let seconds = Double(now > since ? now - since : 0) / 1000
        let rate = seconds > 0 ? Double(activity.writes) / seconds : 0
        var object = counts(activity)
        object["writes_per_second"] = .double((rate * 1000).rounded() / 1000)
        object["distinct_keys"] = JSONValue(activity.distinctKeys.estimate)
        return .object(object)
    }

    /// The plain counts, shared by `stats` and the persisted snapshot.
    static func counts(_ activity: TableActivity) -> JSONObject {
        [
            "writes": JSONValue(activity.writes),
            "wide_writes": JSONValue(activity.wideWrites),
            "keys_touched": JSONValue(activity.keysTouched),
            "intents_opened": JSONValue(activity.intentsOpened),
            "intents_committed": JSONValue(activity.intentsCommitted),
            "intents_aborted": JSONValue(activity.intentsAborted),
            "intents_expired": JSONValue(activity.intentsExpired),
            "names_registered": JSONValue(activity.namesRegistered),
            "names_invalidated": JSONValue(activity.namesInvalidated),
            "checks": checks(activity.checks),
            "first_write_at": activity.firstWriteAt.map { JSONValue($0) } ?? .null,
            "last_write_at": activity.lastWriteAt.map { JSONValue($0) } ?? .null,
        ]
    }

    static func checks(_ outcomes: CheckOutcomes) -> JSONValue {
        var object: JSONObject = ["valid": JSONValue(outcomes.valid)]
        for reason in InvalidReason.allCases {
            object[reason.rawValue] = JSONValue(outcomes.byReason[reason] ?? 0)
        }
        return .object(object)
    }
}
