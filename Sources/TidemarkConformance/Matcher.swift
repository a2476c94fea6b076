import TidemarkProtocol

/// Placeholder bindings of one case, and the `$T` table prefix.
struct Bindings {
    var values: [String: JSONValue] = [:]
    /// What `$T` stands for: `conformance.<random>.<case number>`.
    var tablePrefix: String

    /// `$name`, `$name+K` or `$name-K`: the name and the offset.
    static func parse(_ text: String) -> (name: String, offset: Int64)? {
        guard text.hasPrefix("$"), text.count > 1 else { return nil }
        let body = text.dropFirst()
        var name = Substring(body)
        var offset: Int64 = 0
        if let index = body.firstIndex(where: { $0 == "+" || $0 == "-" }) {
            name = body[..<index]
            guard let number = Int64(body[body.index(after: index)...]) else { return nil }
            offset = body[index] == "+" ? number : -number
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return (String(name), offset)
    }

    /// Replaces `$T` in a string (tables and names under the run's prefix).
    func tables(_ text: String) -> String {
        guard text.contains("$T") else { return text }
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "$T") {
            result += rest[..<range.lowerBound]
            let after = rest[range.upperBound...]
            if let next = after.first, next.isLetter || next.isNumber || next == "_" {
                result += "$T"
            } else {
                result += tablePrefix
            }
            rest = after
        }
        return result + rest
    }

    /// A value with `$T` replaced everywhere (strings and object keys left alone).
    func substituteTables(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(tables(text))
        case .array(let items): return .array(items.map(substituteTables))
        case .object(let object):
            var result = JSONObject()
            for (key, item) in object { result[key] = substituteTables(item) }
            return .object(result)
        default: return value
        }
    }

    /// A request value: `$T` and bound placeholders replaced.
    func substituteRequest(_ value: JSONValue) throws -> JSONValue {
        switch value {
        case .string(let text):
            if text.hasPrefix("$T") { return .string(tables(text)) }
            if let (name, offset) = Self.parse(text) {
                guard let bound = values[name] else {
                    throw ConformanceError.cases("placeholder \(text) used in a request before it was bound")
                }
                if offset == 0 { return bound }
                guard let base = bound.int64Value else {
                    throw ConformanceError.cases("placeholder \(text): \(name) is not an integer")
                }
                return .integer(base + offset)
            }
            return .string(tables(text))
        case .array(let items): return .array(try items.map(substituteRequest))
        case .object(let object):
            var result = JSONObject()
            for (key, item) in object { result[key] = try substituteRequest(item) }
            return .object(result)
        default: return value
        }
    }

    /// Does `actual` match `expected`? Binds placeholders on success only.
    mutating func match(_ expected: JSONValue, _ actual: JSONValue) -> Bool {
        var trial = self
        guard trial.matchInPlace(expected, actual) else { return false }
        self = trial
        return true
    }

    private mutating func matchInPlace(_ expected: JSONValue, _ actual: JSONValue) -> Bool {
        switch expected {
        case .string(let text):
            if text == "$any" { return true }
            if text == "$anyNumber" {
                switch actual {
                case .integer, .unsigned, .double: return true
                default: return false
                }
            }
            if text.hasPrefix("$T") { return actual == .string(tables(text)) }
            if let (name, offset) = Self.parse(text) {
                if let bound = values[name] {
                    if offset == 0 { return bound == actual }
                    guard let base = bound.int64Value, let value = actual.int64Value else { return false }
                    return base + offset == value
                }
                guard offset == 0 else { return false }
                values[name] = actual
                return true
            }
            return actual == expected
        case .array(let items):
            guard let actualItems = actual.arrayValue, actualItems.count == items.count else { return false }
            for (item, actualItem) in zip(items, actualItems) where !matchInPlace(item, actualItem) {
                return false
            }
            return true
        case .object(let object):
            if object.keys == ["$oneOf"], let choices = object["$oneOf"]?.arrayValue {
                return choices.contains { match($0, actual) }
            }
            guard let actualObject = actual.objectValue else { return false }
            let allowMore = object["$more"] == .bool(true)
            for (key, item) in object where key != "$more" {
                guard let actualItem = actualObject[key], matchInPlace(item, actualItem) else { return false }
            }
            if !allowMore {
                // Error messages are for people and never compared.
                for key in actualObject.keys where object[key] == nil && key != "message" {
                    return false
                }
            }
            return true
        default:
            if let a = expected.int64Value, let b = actual.int64Value { return a == b }
            return expected == actual
        }
    }
}
