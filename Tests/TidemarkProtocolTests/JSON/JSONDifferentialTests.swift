import Foundation
import Testing
@testable import TidemarkProtocol
import TidemarkTestSupport

/// Cross-checks against Foundation's JSONSerialization on random documents:
/// our output must read back identically there, and its output here.
@Suite struct JSONDifferentialTests {
    /// Keys avoid combining marks: Foundation's dictionaries compare keys by
    /// canonical equivalence and would merge keys that we keep apart.
    static let keyAlphabet: [Unicode.Scalar] = ["a", "b", "k", "_", "0", "\u{E9}", "\u{4E2D}", "\u{1F600}", "\"", "\\", "\n", "\u{1}"]
    static let stringAlphabet: [Unicode.Scalar] = keyAlphabet + [
        " ", "/", "\t", "\r", "\u{0}", "\u{1F}", "\u{7F}", "\u{80}", "\u{301}", "\u{2028}", "\u{FFFF}", "\u{10FFFF}", "z",
    ]

    @Test func randomDocumentsAgreeWithFoundation() throws {
        var random = SeededGenerator(seed: 0x7D1D_E3A2_2024)
        for iteration in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &random)

            // Ours -> Foundation.
            let ourText = JSONWriter.bytes(value)
            let foundationObject = try JSONSerialization.jsonObject(with: Data(ourText), options: [.fragmentsAllowed])
            let readByFoundation = try #require(Self.jsonValue(fromFoundation: foundationObject), "iteration \(iteration)")
            #expect(Self.sameDocument(readByFoundation, value), "iteration \(iteration): \(value)")

            // Foundation -> ours.
            let foundationText = try JSONSerialization.data(withJSONObject: Self.foundationObject(value), options: [.fragmentsAllowed])
            let readByUs = try JSONParser.parse(Array(foundationText), maxDepth: 16)
            #expect(Self.sameDocument(readByUs, value), "iteration \(iteration): \(String(decoding: foundationText, as: UTF8.self))")
        }
    }

    // MARK: - Generation

    static func randomValue(depth: Int, using random: inout SeededGenerator) -> JSONValue {
        let kinds = depth >= 4 ? 6 : 8
        switch Int.random(in: 0..<kinds, using: &random) {
        case 0:
            return .null
        case 1:
            return .bool(Bool.random(using: &random))
        case 2:
            switch Int.random(in: 0..<4, using: &random) {
            case 0: return .integer(Int64.random(in: -1000...1000, using: &random))
            case 1: return .integer(Int64.random(in: .min ... .max, using: &random))
            case 2: return [.integer(.min), .integer(.max), .integer(0)][Int.random(in: 0..<3, using: &random)]
            default: return JSONValue(UInt64.random(in: UInt64(Int64.max)...UInt64.max, using: &random))
            }
        case 3:
            return .double(randomDouble(using: &random))
        case 4, 5:
            return .string(randomString(from: stringAlphabet, maxLength: 12, using: &random))
        case 6:
            let count = Int.random(in: 0...5, using: &random)
            return .array((0..<count).map { _ in randomValue(depth: depth + 1, using: &random) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let key = randomString(from: keyAlphabet, maxLength: 6, using: &random)
                if object[key] == nil {
                    object[key] = randomValue(depth: depth + 1, using: &random)
                }
            }
            return .object(object)
        }
    }

    static func randomDouble(using random: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            return Double(Int.random(in: -1_000_000...1_000_000, using: &random)) / 1000
        case 1:
            return Double(Int.random(in: -100...100, using: &random))  // integral doubles stay doubles
        case 2:
            return Double.random(in: -1...1, using: &random) * pow(10, Double(Int.random(in: -300...300, using: &random)))
        default:
            while true {
                let candidate = Double(bitPattern: random.next())
                if candidate.isFinite {
                    return candidate
                }
            }
        }
    }

    static func randomString(from alphabet: [Unicode.Scalar], maxLength: Int, using random: inout SeededGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...maxLength, using: &random) {
            scalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &random)])
        }
        return String(scalars)
    }

    // MARK: - Foundation bridging

    static func foundationObject(_ value: JSONValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let flag): return NSNumber(value: flag)
        case .integer(let number): return NSNumber(value: number)
        case .unsigned(let number): return NSNumber(value: number)
        case .double(let number): return NSNumber(value: number)
        case .string(let string): return string
        case .array(let elements): return elements.map(foundationObject)
        case .object(let object):
            var dictionary: [String: Any] = [:]
            for (key, member) in object {
                dictionary[key] = foundationObject(member)
            }
            return dictionary
        }
    }

    static func jsonValue(fromFoundation object: Any) -> JSONValue? {
        switch object {
        case is NSNull:
            return .null
        case let string as String:
            return .string(string)
        case let array as [Any]:
            var elements: [JSONValue] = []
            for element in array {
                guard let converted = jsonValue(fromFoundation: element) else { return nil }
                elements.append(converted)
            }
            return .array(elements)
        case let dictionary as [String: Any]:
            var result = JSONObject()
            for (key, member) in dictionary {
                guard let converted = jsonValue(fromFoundation: member) else { return nil }
                result[key] = converted
            }
            return .object(result)
        case let decimal as NSDecimalNumber:
            // Foundation reads some long decimals as NSDecimalNumber, whose
            // `doubleValue` is not correctly rounded; its text is exact.
            return Double(decimal.description).map(JSONValue.double)
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "c": return .bool(number.boolValue)
            case "d", "f": return .double(number.doubleValue)
            case "Q": return JSONValue(number.uint64Value)
            default: return .integer(number.int64Value)
            }
        default:
            return nil
        }
    }

    /// Equality up to number spelling: Foundation writes integral doubles
    /// without a fraction (`1.0` as `1`, `-0.0` as `-0`), which then read back as integers.
    static func sameDocument(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.array(left), .array(right)):
            return left.count == right.count && zip(left, right).allSatisfy { sameDocument($0, $1) }
        case let (.object(left), .object(right)):
            return left.count == right.count && left.allSatisfy { member in
                right[member.key].map { sameDocument(member.value, $0) } ?? false
            }
        case let (.double(left), .integer(right)), let (.integer(right), .double(left)):
            return left == Double(right) && left.rounded() == left
        case let (.double(left), .unsigned(right)), let (.unsigned(right), .double(left)):
            return left == Double(right) && left.rounded() == left
        default:
            return lhs == rhs
        }
    }
}
