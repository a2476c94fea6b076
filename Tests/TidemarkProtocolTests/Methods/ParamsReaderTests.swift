import Testing
@testable import TidemarkProtocol

@Suite struct ParamsReaderTests {
    private func object(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func nullMembersReadAsAbsent() throws {
        var reader = try ParamsReader(try object(#"{"table":"a","key":null}"#), path: "deps", index: 0)
        #expect(reader.optional("key") == nil)
        #expect(try reader.string("table") == "a")
        try reader.finish()
    }

    @Test func unknownFieldsAreNamedWithTheirPath() throws {
        var reader = try ParamsReader(try object(#"{"table":"a","kee":"k"}"#), path: "deps", index: 3)
        _ = try reader.string("table")
        #expect(throws: RPCError.invalidParams("deps[3].kee", "is not a known field")) { try reader.finish() }
    }

    /// Found by the fuzzer: `data.field` was empty.
    @Test func anEmptyMemberNameIsNamedAsQuotes() throws {
        let top = try ParamsReader(try object(#"{"":1}"#))
        #expect(throws: RPCError.invalidParams(#""""#, "is not a known field")) { try top.finish() }
        let nested = try ParamsReader(try object(#"{"":1}"#), path: "changes", index: 0)
        #expect(throws: RPCError.invalidParams(#"changes[0]."""#, "is not a known field")) { try nested.finish() }
    }

    @Test func wrongTypesNameTheField() throws {
        var reader = try ParamsReader(try object(#"{"lsn":"1"}"#), path: "entries", index: 1)
        #expect(throws: RPCError.invalidParams("entries[1].lsn", "must be a non-negative integer")) {
            try reader.unsigned("lsn")
        }
    }

    @Test func objectsOfMoreThan64MembersStillTrackEveryField() throws {
        let members = (0..<70).map { #""f\#($0)":\#($0)"# }.joined(separator: ",")
        var reader = try ParamsReader(try object("{\(members)}"))
        for index in 0..<70 where index != 66 { _ = try reader.unsigned("f\(index)") }
        #expect(throws: RPCError.invalidParams("f66", "is not a known field")) { try reader.finish() }
        _ = try reader.unsigned("f66")
        try reader.finish()
    }
}
