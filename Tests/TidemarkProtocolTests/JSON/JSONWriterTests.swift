import NIOCore
import Testing
@testable import TidemarkProtocol

@Suite struct JSONWriterTests {
    @Test func outputIsCompactAndKeepsMemberOrder() {
        let value: JSONValue = ["z": [1, true, nil], "a": ["nested": "x"], "m": []]
        #expect(value.jsonString == #"{"z":[1,true,null],"a":{"nested":"x"},"m":[]}"#)
        #expect(JSONValue.object([:]).jsonString == "{}")
    }

    @Test func stringsEscapeOnlyWhatJSONRequires() {
        let value = JSONValue.string("\"\\/\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F}\u{7F} \u{E9}\u{2028}\u{1F600}")
        #expect(value.jsonString == #""\"\\/\n\r\t\b\f\u0000\u0001\u001f"# + "\u{7F} \u{E9}\u{2028}\u{1F600}\"")
    }

    @Test func integersAtTheEdges() {
        #expect(JSONValue.integer(.min).jsonString == "-9223372036854775808")
        #expect(JSONValue.integer(.max).jsonString == "9223372036854775807")
        #expect(JSONValue.integer(0).jsonString == "0")
        #expect(JSONValue.integer(-1).jsonString == "-1")
        #expect(JSONValue.unsigned(.max).jsonString == "18446744073709551615")
    }

    @Test func doublesUseShortestRoundTripText() {
        #expect(JSONValue.double(1).jsonString == "1.0")
        #expect(JSONValue.double(0.1).jsonString == "0.1")
        #expect(JSONValue.double(-2.5).jsonString == "-2.5")
        #expect(JSONValue.double(1e100).jsonString == "1e+100")
        #expect(JSONValue.double(1e-7).jsonString == "1e-07")
        #expect(JSONValue.double(-0.0).jsonString == "-0.0")
        #expect(JSONValue.double(.leastNonzeroMagnitude).jsonString == "5e-324")
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONValue.double(.infinity).jsonString == "null")
        #expect(JSONValue.double(-.infinity).jsonString == "null")
        #expect(JSONValue.double(.nan).jsonString == "null")
        #expect(JSONValue.array([.double(.nan), 1]).jsonString == "[null,1]")
    }

    @Test func writesAppendToExistingContent() {
        var buffer = ByteBuffer(string: "prefix:")
        JSONWriter.write(["a": 1], into: &buffer)
        #expect(buffer.readString(length: buffer.readableBytes) == #"prefix:{"a":1}"#)

        var bytes = Array("[".utf8)
        JSONWriter.write("x", into: &bytes)
        #expect(bytes == Array(#"["x""#.utf8))
        #expect(JSONWriter.bytes(nil) == Array("null".utf8))
        #expect(JSONWriter.string([1, 2]) == "[1,2]")
        #expect("\(JSONValue.array([true]))" == "[true]")
    }

    @Test func largeOutputGrowsPastTheInitialBuffer() throws {
        let long = String(repeating: "ab\"\u{1}\u{E9}", count: 2000)
        let value: JSONValue = ["list": .array((0..<500).map { .integer(Int64($0) * 1_000_003) }), "text": .string(long)]
        var buffer = ByteBuffer()
        JSONWriter.write(value, into: &buffer)
        #expect(buffer.readableBytes > 20_000)
        #expect(try JSONParser.parse(buffer) == value)
        #expect(JSONWriter.bytes(value) == Array(buffer.readableBytesView))
    }

    @Test func writerOutputParsesBackToTheSameValue() throws {
        let value: JSONValue = [
            "ints": [0, -1, .integer(.min), .integer(.max), .unsigned(.max)],
            "doubles": [0.5, -1e-300, 1.7976931348623157e308, 123456.789],
            "strings": ["", "\u{0}", "tab\there", "\u{10FFFF}"],
            "nested": [[[["deep": true]]]],
        ]
        #expect(try JSONParser.parse(value.jsonString) == value)
    }
}
