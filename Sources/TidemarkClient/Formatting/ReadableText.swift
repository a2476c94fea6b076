import TidemarkProtocol
import TidemarkStore

/// How the command line shows each result to a person. Kept here, not in the
/// executable, so the wording is tested; `--json` output bypasses it.
public enum ReadableText {
    public static func write(_ result: WriteMethod.Result) -> String {
        var lines = ["lsn \(result.lsn) (epoch \(result.epoch.hex))"]
        lines += result.invalidated.map { "invalidated \($0)" }
        if result.invalidatedTruncated { lines.append("(more names were invalidated than the server lists)") }
        return lines.joined(separator: "\n")
    }

    /// `deps` are the dependencies asked for, in order, so each version gets its name.
    public static func stamp(_ result: StampResult, deps: [Dep]) -> String {
        var lines = [
            "epoch \(result.epoch.hex)",
            "lsn \(result.lsn)",
            result.cacheable ? "cacheable yes" : "cacheable no (an open intent covers a dependency)",
        ]
        let names = deps.map(ChangeSyntax.format)
        let width = names.map(\.count).max() ?? 0
        for (name, version) in zip(names, result.versions) {
            lines.append("\(padded(name, width))  version \(version)")
        }
        return lines.joined(separator: "\n")
    }

    public static func validity(_ validity: Validity) -> String {
        guard let reason = validity.reason else { return "valid" }
        var lines = ["not valid: \(reason.rawValue) (\(explanation(reason)))"]
        lines += validity.changed.map { "changed \(ChangeSyntax.format($0.dep)) (version \($0.version))" }
        lines += validity.pending.map { "pending \(ChangeSyntax.format($0))" }
        return lines.joined(separator: "\n")
    }

    public static func register(_ result: RegisterMethod.Result) -> String {
        if result.registered { return "registered" }
        return result.valid ? "not registered" : "not registered: the stamp is not valid"
    }

    public static func begin(_ result: BeginMethod.Result) -> String {
        result.intent
    }

    public static func abort(lsn: LSN) -> String {
        "aborted (lsn \(lsn))"
    }

    public static func compact(oldest: LSN) -> String {
        "oldest \(oldest)"
    }

    /// One `name  value` line per member, nested objects flattened to `outer.inner`;
    /// sizes and durations get a readable form beside the exact number.
    public static func stats(_ json: JSONValue) -> String {
        var rows: [(String, String)] = []
        flatten(json, prefix: "", into: &rows)
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "\(padded($0.0, width))  \($0.1)" }.joined(separator: "\n")
    }

    private static func flatten(_ value: JSONValue, prefix: String, into rows: inout [(String, String)]) {
        guard let object = value.objectValue else {
            rows.append((prefix.isEmpty ? "value" : prefix, value.jsonString))
            return
        }
        for (key, member) in object {
            let name = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch member {
            case .object:
                flatten(member, prefix: name, into: &rows)
            case .string(let text):
                rows.append((name, text))
            default:
                rows.append((name, annotated(key, member)))
            }
        }
    }

    private static func annotated(_ key: String, _ value: JSONValue) -> String {
        guard let number = value.uint64Value else { return value.jsonString }
        if key.hasSuffix("_bytes") && number >= 1024 { return "\(number) (\(ByteSizeSyntax.format(number)))" }
        if key.hasSuffix("_ms") && number >= 1000 { return "\(number) (\(TimeFormat.duration(milliseconds: number)))" }
        return "\(number)"
    }

    static func explanation(_ reason: InvalidReason) -> String {
        switch reason {
        case .epoch: "the stamp is from another data directory"
        case .future: "the stamp names an LSN the server has not reached"
        case .changed: "a dependency was written after the stamp"
        case .pending: "an open intent covers a dependency"
        case .unknown: "the name is not registered, or was invalidated"
        case .expired: "the name outlived its TTL"
        }
    }

    static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
