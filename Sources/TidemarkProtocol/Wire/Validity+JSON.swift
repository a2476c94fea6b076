import TidemarkStore

extension Validity {
    /// `{valid, reason?, changed?, pending?}`; the lists appear only when non-empty.
    public var json: JSONValue {
        var object: JSONObject = ["valid": .bool(isValid)]
        if let reason { object["reason"] = .string(reason.rawValue) }
        if !changed.isEmpty { object["changed"] = .array(changed.map(\.json)) }
        if !pending.isEmpty { object["pending"] = .array(pending.map(\.json)) }
        return .object(object)
    }

    public init(json: JSONValue) throws(RPCError) {
        guard let object = json.objectValue, let valid = object["valid"]?.boolValue else {
            throw RPCError.invalidResponse("malformed check result")
        }
        let reason = object["reason"]?.stringValue.flatMap(InvalidReason.init(rawValue:))
        guard valid == (reason == nil) else { throw RPCError.invalidResponse("valid and reason disagree") }
        var changed: [VersionedDep] = []
        for value in object["changed"]?.arrayValue ?? [] { changed.append(try VersionedDep(json: value)) }
        var pending: [Dep] = []
        for value in object["pending"]?.arrayValue ?? [] { pending.append(try Dep(json: value)) }
        self.init(reason: reason, changed: changed, pending: pending)
    }
}
