import Testing
import TidemarkProtocol

/// Sends one hostile line at a time over a real connection and checks what PROTOCOL.md
/// promises for it: one specific error, no state change, the connection still usable.
struct BadInputProbe {
    let client: LineClient

    /// The parts of `stats` that any accepted mutation would change.
    static let stateFields = ["lsn", "oldest", "records", "tables", "keys", "open_intents", "names"]

    func state() async throws -> [String: JSONValue] {
        let stats = try await client.result("stats")
        var state: [String: JSONValue] = [:]
        for field in Self.stateFields { state[field] = stats.objectValue?[field] }
        return state
    }

    /// Sends `bytes` plus a newline; returns the single response object.
    func answer(_ bytes: [UInt8]) async throws -> JSONObject {
        try await client.send(bytes: bytes + [UInt8(ascii: "\n")])
        let response = try await client.nextJSON()
        return try #require(response.objectValue, "not a response object: \(response)")
    }

    func answer(_ line: String) async throws -> JSONObject {
        try await answer(Array(line.utf8))
    }

    /// Expects `bytes` to be refused with `code` (and `data.field == field` when given),
    /// answered under `id`, then the state to be as before and a ping to answer.
    func expectRefused(
        _ bytes: [UInt8], code: Int, field: String? = nil, id: JSONValue = .null,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let before = try await state()
        let response = try await answer(bytes)
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
        let error = response["error"]?.objectValue
        #expect(error?["code"] == .integer(Int64(code)), "\(text) -> \(response)", sourceLocation: sourceLocation)
        #expect(response["id"] == id, "\(text) -> \(response)", sourceLocation: sourceLocation)
        #expect(error?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        if let field {
            #expect(
                error?["data"]?.objectValue?["field"] == .string(field), "\(text) -> \(response)",
                sourceLocation: sourceLocation)
        }
        try await expectUsable(unchangedFrom: before, sourceLocation: sourceLocation)
    }

    func expectRefused(
        _ line: String, code: Int, field: String? = nil, id: JSONValue = .null,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await expectRefused(Array(line.utf8), code: code, field: field, id: id, sourceLocation: sourceLocation)
    }

    /// A ping answers and the state is `before`.
    func expectUsable(unchangedFrom before: [String: JSONValue], sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let pong = try await client.request("ping", id: 424_242)
        #expect(pong.objectValue?["result"] == .object([:]), "ping after bad input: \(pong)", sourceLocation: sourceLocation)
        #expect(pong.objectValue?["id"] == 424_242, sourceLocation: sourceLocation)
        let after = try await state()
        #expect(after == before, "state changed: \(before) -> \(after)", sourceLocation: sourceLocation)
    }

    /// A request line with `params` spelled out as raw JSON text.
    static func request(_ method: String, params: String, id: Int = 1) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#
    }
}
