import NIOCore
import Testing
@testable import TidemarkProtocol

@Suite struct RPCResponseTests {
    static let responses: [RPCResponse] = [
        RPCResponse(id: .number(1), result: .success(.object(["valid": true]))),
        RPCResponse(id: .number(-9_223_372_036_854_775_808), result: .success(.object([:]))),
        RPCResponse(id: .string("a \"quoted\" id\n"), result: .success(.array([1, "x", .null]))),
        RPCResponse(id: .null, result: .failure(.parseError("unexpected end"))),
        RPCResponse(id: .number(7), result: .failure(.invalidParams("deps[0].key", "must be a string"))),
    ]

    /// The line is written without building the envelope, and must be the very bytes the
    /// envelope serializes to.
    @Test(arguments: responses)
    func theLineIsTheEnvelopeSerialized(response: RPCResponse) {
        var written = ByteBuffer()
        response.write(into: &written)
        var expected = ByteBuffer()
        JSONWriter.write(response.json, into: &expected)
        expected.writeString("\n")
        #expect(written == expected)
    }
}
