import NIOCore
import Testing
@testable import TidemarkProtocol
import TidemarkTestSupport

@Suite struct JSONParserTests {
    @Test(arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .integer(0)),
        ("-12", .integer(-12)),
        ("1.5", .double(1.5)),
        (#""text""#, .string("text")),
        ("[]", .array([])),
        ("{}", .object([:])),
        (#"[1,"a",null,[true]]"#, .array([1, "a", nil, [true]])),
        (#"{"b":1,"a":{"c":[]}}"#, ["b": 1, "a": ["c": []]]),
    ] as [(String, JSONValue)])
    func everyKindRoundTrips(text: String, expected: JSONValue) throws {
        let parsed = try JSONParser.parse(text)
        #expect(parsed == expected)
        #expect(parsed.jsonString == text)
    }

    @Test func parsesFromEveryInputType() throws {
        let text = #"{"k":[1,2]}"#
        let expected: JSONValue = ["k": [1, 2]]
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(Array(text.utf8)) == expected)
        #expect(try JSONParser.parse(Array(text.utf8)[...]) == expected)
        #expect(try JSONParser.parse(text.utf8.lazy.map { $0 }) == expected)  // not contiguous
        #expect(try JSONParser.parse(ByteBuffer(string: text)) == expected)
        let fromRaw = try Array(text.utf8).withUnsafeBytes { bytes throws(JSONParseError) in
            try JSONParser.parse(bytes)
        }
        #expect(fromRaw == expected)
    }

    @Test func byteBufferParsingLeavesTheBufferUnread() throws {
        var buffer = ByteBuffer(string: "xx[1]")
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try JSONParser.parse(buffer) == [1])
        #expect(buffer.readableBytes == 3)
    }

    @Test func surroundingWhitespaceIsAllowed() throws {
        #expect(try JSONParser.parse(" \t\r\n[ 1 ,\n2 ] \r\n") == [1, 2])
        #expect(try JSONParser.parse("{ \"a\" : 1 , \"b\" : { } }") == ["a": 1, "b": [:]])
    }

    @Test func objectMembersKeepTheirOrder() throws {
        let parsed = try JSONParser.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(parsed.objectValue?.keys == ["z", "a", "m"])
    }

    @Test func integersAtTheEdges() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONParser.parse("9223372036854775808") == .unsigned(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse("18446744073709551615") == .unsigned(.max))
        #expect(try JSONParser.parse("18446744073709551616") == .double(18_446_744_073_709_551_616))
        #expect(try JSONParser.parse("-9223372036854775809") == .double(-0x1p63))
        #expect(try JSONParser.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(try JSONParser.parse("-0") == .integer(0))
        #expect(try JSONParser.parse("[0,-1,10]") == [0, -1, 10])
    }

    @Test func fractionsAndExponentsAreDoubles() throws {
        #expect(try JSONParser.parse("1.0") == .double(1))
        #expect(try JSONParser.parse("1e2") == .double(100))
        #expect(try JSONParser.parse("1E+2") == .double(100))
        #expect(try JSONParser.parse("-2.5e-3") == .double(-0.0025))
        #expect(try JSONParser.parse("0.1") == .double(0.1))
        #expect(try JSONParser.parse("0e0") == .double(0))
        #expect(try JSONParser.parse("1e-400") == .double(0))
        #expect(try JSONParser.parse("4.9e-324") == .double(.leastNonzeroMagnitude))
        #expect(try JSONParser.parse("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
        #expect(try JSONParser.parse("0.30000000000000004") == .double(0.30000000000000004))
        let negativeZero = try #require(JSONParser.parse("-0.0").doubleValue)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    /// Short decimals take an exact arithmetic fast path; it must agree with
    /// the correctly rounded standard conversion everywhere.
    @Test func numberFastPathAgreesWithStandardConversion() throws {
        var random = SeededGenerator(seed: 0x5EED_0001)
        for _ in 0..<3000 {
            let digits = Int.random(in: 1...19, using: &random)
            var text = Int.random(in: 0...1, using: &random) == 0 ? "" : "-"
            text += String(Int.random(in: 1...9, using: &random))
            for _ in 1..<digits {
                text += String(Int.random(in: 0...9, using: &random))
            }
            let point = Int.random(in: 0...digits, using: &random)
            if point < digits {
                let index = text.index(text.endIndex, offsetBy: -(digits - point))
                text.insert(contentsOf: point == 0 ? "0." : ".", at: index)
            }
            if Int.random(in: 0...1, using: &random) == 0 {
                text += "e\(Int.random(in: -30...30, using: &random))"
            } else if point == digits {
                text += ".0"
            }
            let parsed = try JSONParser.parse(text)
            #expect(parsed == .double(Double(text)!), "\(text)")
        }
    }

    @Test func shortEscapesAndUnicodeEscapesDecode() throws {
        let parsed = try JSONParser.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#)
        #expect(parsed == .string("\"\\/\u{8}\u{C}\n\r\tA\u{E9}\u{20AC}\u{1F600}"))
    }

    @Test func escapedNULIsAcceptedInsideStrings() throws {
        let parsed = try JSONParser.parse(#""a\u0000b""#)
        #expect(parsed == .string("a\u{0}b"))
        #expect(parsed.stringValue?.utf8.count == 3)
    }

    @Test func escapedKeysAreDecoded() throws {
        #expect(try JSONParser.parse(#"{"a\nb":1,"\u0063":2}"#) == ["a\nb": 1, "c": 2])
    }

    @Test func validMultiByteUTF8IsAcceptedAtEveryBoundary() throws {
        let scalars: [UInt32] = [0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF]
        for scalar in scalars {
            let text = String(Unicode.Scalar(scalar)!)
            #expect(try JSONParser.parse("\"\(text)\"") == .string(text))
            #expect(try JSONParser.parse("\"x\\n\(text)\"") == .string("x\n\(text)"))
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = JSONParser.defaultMaxDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONParser.parse(text)
        var levels = 0
        while case .array(let elements) = value, let first = elements.first {
            value = first
            levels += 1
        }
        #expect(levels == depth - 1)
        #expect(try JSONParser.parse(#"{"a":{"b":[1]}}"#, maxDepth: 3) == ["a": ["b": [1]]])
        #expect(try JSONParser.parse("7", maxDepth: 0) == 7)
    }

    @Test func wideObjectsAreAcceptedAndKeepOrder() throws {
        let keys = (0..<200).map { "key\($0)" }
        let text = "{" + keys.map { "\"\($0)\":\($0.count)" }.joined(separator: ",") + "}"
        let parsed = try JSONParser.parse(text)
        #expect(parsed.objectValue?.keys == keys)
        #expect(parsed["key150"] == 6)
    }

    @Test func longStringsWithEscapesDecode() throws {
        let piece = "abc\u{E9}\u{1F600}\"\\\n"
        let original = String(repeating: piece, count: 500)
        let text = JSONValue.string(original).jsonString
        #expect(try JSONParser.parse(text) == .string(original))
    }
}
