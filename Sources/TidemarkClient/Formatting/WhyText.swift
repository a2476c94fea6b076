import TidemarkProtocol
import TidemarkStore

/// `tidemark why`'s output: an `Explanation` as text for people, or as one JSON object.
public enum WhyText {
    public static func render(_ explanation: Explanation) -> String {
        var lines: [String] = []
        if let name = explanation.name, let nameValidity = explanation.nameValidity {
            lines += nameLines(name, nameValidity, explanation)
            guard explanation.nameIsGone, explanation.stamp != nil else { return lines.joined(separator: "\n") }
            lines.append("explaining the stamp and deps given instead:")
        }
        lines += stampLines(explanation)
        return lines.joined(separator: "\n")
    }

    private static func nameLines(_ name: String, _ validity: Validity, _ explanation: Explanation) -> [String] {
        switch validity.reason {
        case nil:
            return ["valid: the entry named \"\(name)\" is registered, and no open intent covers its deps"]
        case .unknown:
            return [
                "not valid: the name \"\(name)\" is unknown to the server: it was never registered, "
                    + "was invalidated by a write (or a failed register), or was purged after its TTL",
                explanation.stamp == nil
                    ? "the server does not keep a dropped name's stamp and deps; give --lsn and --dep to explain them"
                    : nil,
            ].compactMap { $0 }
        case .expired:
            return [
                "not valid: the name \"\(name)\" has expired (it outlived its TTL and will be purged)",
                explanation.stamp == nil
                    ? "the server does not expose a name's stamp and deps; give --lsn and --dep to explain them"
                    : nil,
            ].compactMap { $0 }
        case .some(let reason):
            var lines = ["not valid: \(reason.rawValue) (\(ReadableText.explanation(reason))), for the entry named \"\(name)\""]
            lines += validity.changed.map { "changed \(ChangeSyntax.format($0.dep)) (version \($0.version))" }
            lines += validity.pending.map { "pending \(ChangeSyntax.format($0))" }
            lines += intentLines(explanation)
            return lines
        }
    }

    private static func stampLines(_ explanation: Explanation) -> [String] {
        guard let stamp = explanation.stamp else { return [] }
        let validity = explanation.validity
        let deps = explanation.deps.isEmpty ? "(none)" : explanation.deps.map(ChangeSyntax.format).joined(separator: " ")
        let header = "stamp: epoch \(stamp.epoch.hex), lsn \(stamp.lsn); deps: \(deps); the server is at lsn \(explanation.serverLSN)"
        switch validity.reason {
        case nil:
            return ["valid: no dependency changed after lsn \(stamp.lsn), and no open intent covers one", header]
        case .epoch:
            return [
                "not valid: epoch (the stamp is from another data directory)", header,
                "the server's epoch is \(explanation.serverEpoch.hex); no record of this data directory can explain the stamp",
            ]
        case .future:
            return ["not valid: future (the stamp's lsn \(stamp.lsn) is beyond the server's lsn \(explanation.serverLSN))", header]
        case .some(let reason):
            var lines = ["not valid: \(reason.rawValue) (\(ReadableText.explanation(reason)))", header]
            lines += validity.changed.map { "changed \(ChangeSyntax.format($0.dep)) (version \($0.version))" }
            lines += validity.pending.map { "pending \(ChangeSyntax.format($0))" }
            if !explanation.causes.isEmpty {
                lines.append("records after lsn \(stamp.lsn) that changed its deps:")
                for cause in explanation.causes {
                    lines.append("  " + describe(cause.record) + "  -> " + cause.deps.map(ChangeSyntax.format).joined(separator: " "))
                }
            }
            if let compacted = explanation.compacted {
                for earliest in explanation.earliestRetained {
                    let dep = ChangeSyntax.format(earliest.dep)
                    let range = "records \(compacted.lowerBound)..\(compacted.upperBound) were compacted away"
                    if let record = earliest.record {
                        lines.append("\(range); the earliest retained change to \(dep) is \(describe(record))")
                    } else {
                        lines.append(
                            "\(range); no retained record changes \(dep) (its version \(earliest.version) was compacted away)")
                    }
                }
            }
            lines += intentLines(explanation)
            return lines
        }
    }

    private static func intentLines(_ explanation: Explanation) -> [String] {
        var lines: [String] = []
        for intent in explanation.openIntents {
            let begin = intent.begin
            lines.append(
                "open intent \(intent.id) (begin lsn \(begin.lsn), \(TimeFormat.iso8601(begin.time)), "
                    + "pid \(begin.peer.pid) uid \(begin.peer.uid), meta \(meta(begin))) covers "
                    + intent.deps.map(ChangeSyntax.format).joined(separator: " ")
                    + "; its changes: " + begin.changes.map(ChangeSyntax.format).joined(separator: " "))
        }
        for dep in explanation.pendingWithoutBegin {
            lines.append(
                "an open intent covers \(ChangeSyntax.format(dep)), but its begin record was compacted away "
                    + "(oldest retained lsn \(explanation.oldest))")
        }
        return lines
    }

    /// `lsn 5  2026-11-29T07:38:46.463Z  write  pid 4121 uid 1000  users:42 orders(*)  meta {...}`.
    public static func describe(_ record: Record) -> String {
        var text = "lsn \(record.lsn)  \(TimeFormat.iso8601(record.time))  \(record.kind.rawValue)  "
            + "pid \(record.peer.pid) uid \(record.peer.uid)  "
            + record.changes.map(ChangeSyntax.format).joined(separator: " ")
        if let intent = record.intent { text += "  intent \(intent)" }
        return text + "  meta \(meta(record))"
    }

    private static func meta(_ record: Record) -> String {
        record.meta.map { String(decoding: $0, as: UTF8.self) } ?? "-"
    }

    // MARK: JSON

    /// One object: the verdict, what was asked, and the records behind the verdict.
    public static func json(_ explanation: Explanation) -> JSONValue {
        var object: JSONObject = explanation.validity.json.objectValue ?? [:]
        object["exit_status"] = .integer(Int64(explanation.exitStatus))
        object["server"] = [
            "epoch": .string(explanation.serverEpoch.hex), "lsn": JSONValue(explanation.serverLSN),
            "oldest": JSONValue(explanation.oldest),
        ]
        if let name = explanation.name {
            var nameObject: JSONObject = ["name": .string(name)]
            if let validity = explanation.nameValidity { nameObject["check"] = validity.json }
            object["name"] = .object(nameObject)
        }
        if let stamp = explanation.stamp {
            object["stamp"] = ["epoch": .string(stamp.epoch.hex), "lsn": JSONValue(stamp.lsn)]
            object["deps"] = .array(explanation.deps.map(\.json))
        }
        object["records"] = .array(explanation.causes.map { cause in
            var record = cause.record.json.objectValue ?? [:]
            record["deps"] = .array(cause.deps.map(\.json))
            return .object(record)
        })
        object["open_intents"] = .array(explanation.openIntents.map { intent in
            var value: JSONObject = [
                "intent": .string(intent.id), "begin_lsn": JSONValue(intent.begin.lsn),
                "time": JSONValue(intent.begin.time),
                "peer": intent.begin.json["peer"] ?? .null,
                "changes": .array(intent.begin.changes.map(\.json)),
                "deps": .array(intent.deps.map(\.json)),
            ]
            if let meta = intent.begin.json["meta"] { value["meta"] = meta }
            return .object(value)
        })
        if !explanation.pendingWithoutBegin.isEmpty {
            object["pending_without_begin"] = .array(explanation.pendingWithoutBegin.map(\.json))
        }
        if let compacted = explanation.compacted {
            object["compacted"] = [
                "first": JSONValue(compacted.lowerBound), "last": JSONValue(compacted.upperBound),
                "earliest_retained": .array(explanation.earliestRetained.map { earliest in
                    var value = earliest.dep.json.objectValue ?? [:]
                    value["version"] = JSONValue(earliest.version)
                    value["record"] = earliest.record.map { JSONValue($0.lsn) } ?? .null
                    return .object(value)
                }),
            ]
        }
        return .object(object)
    }
}
