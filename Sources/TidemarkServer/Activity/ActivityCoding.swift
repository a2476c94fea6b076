import TidemarkProtocol
import TidemarkStore

/// The persisted form of the activity counters: a small JSON document in the store's
/// meta database. Decoding is lenient about what it does not know, so an older or newer
/// server's counters are read as far as they go instead of blocking startup.
enum ActivityCoding {
    static let version: Int64 = 1

    static func encode(_ state: ActivityCounters.State) -> [UInt8] {
        var tables = JSONObject()
        for (name, activity) in state.tables.sorted(by: { $0.key < $1.key }) {
            // The counts as `stats` shows them, plus the sketch behind `distinct_keys`.
            var object = ActivityJSON.counts(activity)
            object["distinct_keys_sketch"] = .array(
                activity.distinctKeys.setRegisters.map { [JSONValue(UInt64($0.index)), JSONValue(UInt64($0.value))] })
            tables[name] = .object(object)
        }
        let document: JSONValue = .object([
            "version": .integer(version),
            "counting_since": JSONValue(state.countingSince),
            "covered_lsn": JSONValue(state.coveredLSN),
            "checks": ActivityJSON.checks(state.checks),
            "tables": .object(tables),
        ])
        return JSONWriter.bytes(document)
    }

    static func decode(_ bytes: [UInt8]) -> ActivityCounters.State? {
        guard let document = try? JSONParser.parse(bytes),
            document["version"] == .integer(version),
            let since = document["counting_since"]?.uint64Value,
            let covered = document["covered_lsn"]?.uint64Value
        else { return nil }
        var state = ActivityCounters.State(countingSince: since)
        state.coveredLSN = covered
        state.checks = checks(document["checks"])
        for (name, value) in document["tables"]?.objectValue ?? [:] {
            var activity = TableActivity()
            func number(_ key: String) -> UInt64 { value[key]?.uint64Value ?? 0 }
            activity.writes = number("writes")
            activity.wideWrites = number("wide_writes")
            activity.keysTouched = number("keys_touched")
            let sketch = (value["distinct_keys_sketch"]?.arrayValue ?? []).compactMap { pair -> (index: Int, value: UInt8)? in
                guard let items = pair.arrayValue, items.count == 2, let index = items[0].uint64Value,
                    let register = items[1].uint64Value, register <= 64, index < UInt64(DistinctCounter.registerCount)
                else { return nil }
                return (Int(index), UInt8(register))
            }
            if let counter = DistinctCounter(setRegisters: sketch) { activity.distinctKeys = counter }
            activity.intentsOpened = number("intents_opened")
            activity.intentsCommitted = number("intents_committed")
            activity.intentsAborted = number("intents_aborted")
            activity.intentsExpired = number("intents_expired")
            activity.namesRegistered = number("names_registered")
            activity.namesInvalidated = number("names_invalidated")
            activity.checks = checks(value["checks"])
            activity.firstWriteAt = value["first_write_at"]?.uint64Value
            activity.lastWriteAt = value["last_write_at"]?.uint64Value
            state.tables[name] = activity
        }
        return state
    }

    private static func checks(_ value: JSONValue?) -> CheckOutcomes {
        var outcomes = CheckOutcomes()
        outcomes.valid = value?["valid"]?.uint64Value ?? 0
        for reason in InvalidReason.allCases {
            if let count = value?[reason.rawValue]?.uint64Value, count > 0 { outcomes.byReason[reason] = count }
        }
        return outcomes
    }
}
