import Testing
@testable import TidemarkProtocol

@Suite struct JSONValueTests {
    @Test func literalsBuildTheMatchingCases() {
        let value: JSONValue = [
            "null": nil, "bool": true, "int": -3, "double": 2.5, "string": "s", "array": [1, "two"],
        ]
        guard case .object(let object) = value else {
            Issue.record("expected an object, got \(value)")
            return
        }
        #expect(object.keys == ["null", "bool", "int", "double", "string", "array"])
        #expect(object["null"] == .null)
        #expect(object["bool"] == .bool(true))
        #expect(object["int"] == .integer(-3))
        #expect(object["double"] == .double(2.5))
        #expect(object["string"] == .string("s"))
        #expect(object["array"] == .array([.integer(1), .string("two")]))
    }

    @Test func unsignedInitializerKeepsOneRepresentationPerInteger() {
        #expect(JSONValue(UInt64(5)) == .integer(5))
        #expect(JSONValue(UInt64(Int64.max)) == .integer(.max))
        #expect(JSONValue(UInt64(Int64.max) + 1) == .unsigned(UInt64(Int64.max) + 1))
        #expect(JSONValue(Int64(-7)) == .integer(-7))
        #expect(JSONValue(-7 as Int) == .integer(-7))
    }

    @Test func accessorsOnlyAnswerForTheirOwnKind() {
        #expect(JSONValue.string("x").stringValue == "x")
        #expect(JSONValue.integer(1).stringValue == nil)
        #expect(JSONValue.bool(false).boolValue == false)
        #expect(JSONValue.integer(0).boolValue == nil)
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.bool(false).isNull)
        #expect(JSONValue.array([1]).arrayValue == [1])
        #expect(JSONValue.object(["a": 1]).objectValue == ["a": 1])
        #expect(JSONValue.integer(1).objectValue == nil)
    }

    @Test func integerAccessorsNeverConvertDoubles() {
        #expect(JSONValue.integer(42).uint64Value == 42)
        #expect(JSONValue.integer(0).uint64Value == 0)
        #expect(JSONValue.integer(-1).uint64Value == nil)
        #expect(JSONValue.unsigned(.max).uint64Value == .max)
        #expect(JSONValue.double(42).uint64Value == nil)
        #expect(JSONValue.integer(-42).int64Value == -42)
        #expect(JSONValue.unsigned(.max).int64Value == nil)
        #expect(JSONValue.double(1).int64Value == nil)
        #expect(JSONValue.double(1.5).doubleValue == 1.5)
        #expect(JSONValue.integer(3).doubleValue == 3)
    }

    @Test func memberLookupThroughValues() {
        let request: JSONValue = ["params": ["lsn": 7]]
        #expect(request["params"]?["lsn"] == 7)
        #expect(request["missing"] == nil)
        #expect(JSONValue.integer(1)["x"] == nil)
    }

    @Test func objectPreservesOrderAndSupportsEditing() {
        var object: JSONObject = ["b": 1, "a": 2]
        object["c"] = 3
        object["b"] = 10
        #expect(object.keys == ["b", "a", "c"])
        #expect(object["b"] == 10)
        object["a"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(object.removeValue(forKey: "c") == 3)
        #expect(object.removeValue(forKey: "zzz") == nil)
        #expect(object.count == 1)
        var seen: [String] = []
        for (key, _) in object {
            seen.append(key)
        }
        #expect(seen == ["b"])
        #expect(JSONObject([("x", 1), ("y", 2)]).keys == ["x", "y"])
        #expect(JSONObject().isEmpty)
    }

    @Test func objectEqualityAndHashIgnoreMemberOrder() {
        let forward: JSONValue = ["a": 1, "b": [true, nil], "c": "x"]
        let backward: JSONValue = ["c": "x", "b": [true, nil], "a": 1]
        #expect(forward == backward)
        #expect(forward.hashValue == backward.hashValue)
        #expect(Set([forward, backward]).count == 1)
        #expect(forward != ["a": 1, "b": [true, nil], "c": "y"])
        #expect(forward != ["a": 1, "b": [true, nil]])
        #expect(forward != ["a": 1, "b": [true, nil], "d": "x"])
    }

    @Test func keysAndStringsCompareByCodePointsNotCanonicalEquivalence() {
        let precomposed = "\u{E9}"
        let decomposed = "e\u{301}"
        #expect(precomposed == decomposed)  // Swift's own notion
        #expect(JSONValue.string(precomposed) != JSONValue.string(decomposed))
        let object = JSONObject([(precomposed, 1), (decomposed, 2)])
        #expect(object[precomposed] == 1)
        #expect(object[decomposed] == 2)
        #expect(JSONValue.object(object) != .object(JSONObject([(precomposed, 2), (decomposed, 1)])))
    }

    @Test func numericKindsAreDistinctValues() {
        #expect(JSONValue.integer(1) != .double(1))
        #expect(JSONValue.integer(1) != .unsigned(1))
        #expect(JSONValue.double(0) == .double(-0.0))
    }
}
