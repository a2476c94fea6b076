import Testing
@testable import TidemarkProtocol

/// One input that must be rejected, and words the error message must contain
/// so that a client can tell what was wrong.
struct Rejection: Sendable, CustomTestStringConvertible {
    var bytes: [UInt8]
    var problem: String
    var offset: Int?

    init(_ text: String, _ problem: String, at offset: Int? = nil) {
        bytes = Array(text.utf8)
        self.problem = problem
        self.offset = offset
    }

    init(bytes: [UInt8], _ problem: String, at offset: Int? = nil) {
        self.bytes = bytes
        self.problem = problem
        self.offset = offset
    }

    var testDescription: String {
        String(decoding: bytes, as: UTF8.self).debugDescription
    }
}

@Suite struct JSONParserRejectionTests {
    static let syntax: [Rejection] = [
        Rejection("", "unexpected end of input", at: 0),
        Rejection(" \n", "unexpected end of input", at: 2),
        Rejection("[1] x", "trailing data", at: 4),
        Rejection("1 2", "trailing data", at: 2),
        Rejection("{}{}", "trailing data", at: 2),
        Rejection("nulll", "trailing data", at: 4),
        Rejection("[1 2]", "expected ',' or ']'", at: 3),
        Rejection(#"{"a":1 "b":2}"#, "expected ',' or '}'", at: 7),
        Rejection(#"{"a" 1}"#, "expected ':'", at: 5),
        Rejection("{1:2}", "expected a string key", at: 1),
        Rejection("{'a':1}", "unexpected character '''", at: 1),
        Rejection("[", "unexpected end of input", at: 1),
        Rejection(#"{"a":1"#, "unexpected end of input", at: 6),
        Rejection(#""abc"#, "in string starting at byte 0", at: 4),
        Rejection("tru", "invalid literal", at: 0),
        Rejection("True", "unexpected character 'T'", at: 0),
        Rejection("nul", "invalid literal", at: 0),
        Rejection("[fals]", "invalid literal", at: 1),
        Rejection("undefined", "unexpected character 'u'", at: 0),
        Rejection(bytes: [0xEF, 0xBB, 0xBF, 0x31], "unexpected byte 0xEF", at: 0),
    ]

    static let extensions: [Rejection] = [
        Rejection("[1,]", "trailing comma in array", at: 2),
        Rejection("[1,\n ]", "trailing comma in array", at: 2),
        Rejection(#"{"a":1,}"#, "trailing comma in object", at: 6),
        Rejection("[,1]", "unexpected character ','", at: 1),
        Rejection("[1,,2]", "unexpected character ','", at: 3),
        Rejection("// note\n1", "comments are not allowed", at: 0),
        Rejection("[1 /* note */]", "comments are not allowed", at: 3),
        Rejection("1 // note", "comments are not allowed", at: 2),
        Rejection("NaN", "NaN is not valid JSON", at: 0),
        Rejection("[Infinity]", "Infinity is not valid JSON", at: 1),
        Rejection("-Infinity", "Infinity is not valid JSON", at: 0),
    ]

    static let numbers: [Rejection] = [
        Rejection("01", "leading zero", at: 0),
        Rejection("-01", "leading zero", at: 0),
        Rejection("00.5", "leading zero", at: 0),
        Rejection("-", "expected a digit", at: 1),
        Rejection("-a", "expected a digit", at: 1),
        Rejection("+1", "unexpected character '+'", at: 0),
        Rejection(".5", "unexpected character '.'", at: 0),
        Rejection("1.", "digit after the decimal point", at: 2),
        Rejection("1.e5", "digit after the decimal point", at: 2),
        Rejection("1e", "digit in the exponent", at: 2),
        Rejection("1e+", "digit in the exponent", at: 3),
        Rejection("1.5.2", "trailing data", at: 3),
        Rejection("0x10", "trailing data", at: 1),
        Rejection("1e400", "number out of range", at: 0),
        Rejection("[-1e400]", "number out of range", at: 1),
        Rejection("1" + String(repeating: "0", count: 400), "number out of range", at: 0),
    ]

    static let strings: [Rejection] = [
        Rejection("\"a\nb\"", "unescaped control character 0x0A", at: 2),
        Rejection("\"a\tb\"", "unescaped control character 0x09", at: 2),
        Rejection(bytes: [0x22, 0x61, 0x00, 0x22], "unescaped control character 0x00", at: 2),
        Rejection("\"\u{1F}\"", "unescaped control character 0x1F", at: 1),
        Rejection(#""\x""#, #"invalid escape sequence '\x'"#, at: 1),
        Rejection(#""\U0041""#, #"invalid escape sequence '\U'"#, at: 1),
        Rejection(#""\'""#, #"invalid escape sequence '\''"#, at: 1),
        Rejection("\"\\\u{1}\"", "invalid escape sequence", at: 1),
        Rejection(#""\u12""#, #"invalid \u escape"#, at: 1),
        Rejection(#""\u12G4""#, #"invalid \u escape"#, at: 1),
        Rejection(#""\"#, "end of input in escape", at: 1),
        Rejection(#""\ud800""#, #"unpaired UTF-16 surrogate \uD800"#, at: 1),
        Rejection(#""\uDBFFx""#, #"unpaired UTF-16 surrogate \uDBFF"#, at: 1),
        Rejection(#""\ud800\u0041""#, "unpaired UTF-16 surrogate", at: 1),
        Rejection(#""\ud800\ud800""#, "unpaired UTF-16 surrogate", at: 1),
        Rejection(#""\ud800\n""#, "unpaired UTF-16 surrogate", at: 1),
        Rejection(#""x\udc00""#, #"unpaired UTF-16 surrogate \uDC00"#, at: 2),
        Rejection(#""\ude00\ud83d""#, "unpaired UTF-16 surrogate", at: 1),
        Rejection(#"{"\ud800":1}"#, "unpaired UTF-16 surrogate", at: 2),
    ]

    static let utf8: [Rejection] = [
        Rejection(bytes: [0x22, 0xFF, 0x22], "invalid UTF-8 at byte 1", at: 1),
        Rejection(bytes: [0x22, 0xFE, 0x22], "invalid UTF-8", at: 1),
        Rejection(bytes: [0x22, 0x61, 0x62, 0x63, 0xFF, 0x22], "invalid UTF-8 at byte 4", at: 4),
        Rejection(bytes: [0x22, 0x80, 0x22], "invalid UTF-8", at: 1),  // lone continuation byte
        Rejection(bytes: [0x22, 0xC0, 0x80, 0x22], "invalid UTF-8", at: 1),  // overlong NUL
        Rejection(bytes: [0x22, 0xC1, 0xBF, 0x22], "invalid UTF-8", at: 1),  // overlong 2-byte
        Rejection(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid UTF-8", at: 1),  // overlong 3-byte
        Rejection(bytes: [0x22, 0xF0, 0x80, 0x80, 0xAF, 0x22], "invalid UTF-8", at: 1),  // overlong 4-byte
        Rejection(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8", at: 1),  // encoded U+D800
        Rejection(bytes: [0x22, 0xED, 0xBF, 0xBF, 0x22], "invalid UTF-8", at: 1),  // encoded U+DFFF
        Rejection(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8", at: 1),  // above U+10FFFF
        Rejection(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "invalid UTF-8", at: 1),
        Rejection(bytes: [0x22, 0xC3, 0x22], "invalid UTF-8", at: 1),  // truncated 2-byte
        Rejection(bytes: [0x22, 0xE2, 0x82, 0x22], "invalid UTF-8", at: 1),  // truncated 3-byte
        Rejection(bytes: [0x22, 0xF0, 0x9F, 0x98, 0x22], "invalid UTF-8", at: 1),  // truncated 4-byte
        Rejection(bytes: [0x22, 0xE2, 0x82], "invalid UTF-8", at: 1),  // truncated by end of input
        Rejection(bytes: [0x22, 0xC3, 0xA9, 0xA9, 0x22], "invalid UTF-8", at: 3),  // extra continuation
        Rejection(bytes: [0x22, 0x5C, 0x6E, 0xFF, 0x22], "invalid UTF-8", at: 3),  // after an escape
        Rejection(bytes: [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x7D], "invalid UTF-8", at: 2),  // in a key
        Rejection(bytes: [0x5B, 0xC3, 0xA9, 0x5D], "unexpected byte 0xC3", at: 1),  // outside a string
    ]

    @Test(arguments: syntax + extensions + numbers + strings + utf8)
    func rejectsWithAMessageNamingTheProblem(_ rejection: Rejection) throws {
        let error = try #require(parseError(rejection.bytes))
        #expect(error.message.contains(rejection.problem), "\(error.message)")
        if let offset = rejection.offset {
            #expect(error.offset == offset, "\(error.message)")
            #expect(error.message.contains("at byte \(offset)"), "\(error.message)")
        }
    }

    @Test func duplicateKeysAreRejectedNamingTheKey() throws {
        let error = try #require(parseError(#"{"id":1,"method":"x","id":2}"#))
        #expect(error.message == #"duplicate object key "id" at byte 21"#)
        #expect(error.offset == 21)

        let nested = try #require(parseError(#"{"a":{"b":1,"b":2}}"#))
        #expect(nested.message.contains(#"duplicate object key "b""#))

        // Same key in different objects is fine.
        #expect(parseError(#"{"a":{"a":1},"b":{"a":2}}"#) == nil)
    }

    @Test func duplicateKeysAreFoundInWideObjects() throws {
        let members = (0..<100).map { "\"k\($0)\":\($0)" } + ["\"k42\":0"]
        let error = try #require(parseError("{" + members.joined(separator: ",") + "}"))
        #expect(error.message.contains(#"duplicate object key "k42""#))
        // A wide object closing must not leak its keys into a sibling object at the same depth.
        let siblings = "[{" + (0..<40).map { "\"k\($0)\":0" }.joined(separator: ",") + "},{\"k1\":0}]"
        #expect(parseError(siblings) == nil)
    }

    @Test func duplicateKeysIncludingEscapedSpellingsAreRejected() throws {
        let error = try #require(parseError(#"{"a":1,"\u0061":2}"#))
        #expect(error.message.contains(#"duplicate object key "a""#))
        // Canonically equivalent but different code points are different keys.
        #expect(parseError("{\"\u{E9}\":1,\"e\u{301}\":2}") == nil)
    }

    @Test func duplicateKeyMessagesEscapeAndShortenTheKey() throws {
        let key = String(repeating: "q\"", count: 100)
        let escaped = JSONValue.string(key).jsonString
        let error = try #require(parseError("{\(escaped):1,\(escaped):2}"))
        #expect(error.message.hasPrefix(#"duplicate object key "q\"q\""#))
        #expect(error.message.count < 120)
    }

    @Test func nestingBeyondTheLimitIsRejected() throws {
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = try #require(parseError(tooDeep))
        #expect(error.message == "nesting deeper than 64 levels at byte 64")
        #expect(error.offset == 64)

        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(parseError(objects)?.message.contains("nesting deeper than 64 levels") == true)
        #expect(parseError("[[[1]]]", maxDepth: 2)?.message.contains("nesting deeper than 2 levels") == true)
    }

    @Test func tenThousandOpenBracketsDoNotCrash() throws {
        let brackets = Array(repeating: UInt8(ascii: "["), count: 10_000)
        let error = try #require(parseError(brackets))
        #expect(error.message.contains("nesting deeper than 64 levels"))

        let mixed = String(repeating: #"{"a":["#, count: 10_000)
        #expect(parseError(mixed)?.message.contains("nesting deeper than 64 levels") == true)

        // Even with the limit lifted, the parser itself never recurses.
        let unlimited = try #require(parseError(brackets, maxDepth: .max))
        #expect(unlimited.message.contains("unexpected end of input"))
    }

    @Test func errorsDescribeThemselves() throws {
        let error = try #require(parseError("[x]"))
        #expect(error.description == error.message)
        #expect(error.message == "unexpected character 'x' at byte 1, expected a value")
    }
}
