import Testing
import TidemarkClient
import TidemarkStore

@Suite("CHANGE and DEP argument syntax")
struct ChangeSyntaxTests {
    @Test func changes() throws {
        #expect(try ChangeSyntax.change("users") == Change(table: "users"))
        #expect(try ChangeSyntax.change("users:42") == Change(table: "users", keys: ["42"]))
        #expect(try ChangeSyntax.change("users:42,43") == Change(table: "users", keys: ["42", "43"]))
        #expect(try ChangeSyntax.change("tags:status=open") == Change(table: "tags", keys: ["status=open"]))
        // Only the first colon ends the table.
        #expect(try ChangeSyntax.change("t:a:b") == Change(table: "t", keys: ["a:b"]))
        #expect(try ChangeSyntax.changes(["a", "b:1"]) == [Change(table: "a"), Change(table: "b", keys: ["1"])])
    }

    @Test func escapes() throws {
        #expect(try ChangeSyntax.change(#"tags:a\,b,c"#) == Change(table: "tags", keys: ["a,b", "c"]))
        #expect(try ChangeSyntax.change(#"db\:users:1"#) == Change(table: "db:users", keys: ["1"]))
        #expect(try ChangeSyntax.change(#"t:back\\slash"#) == Change(table: "t", keys: [#"back\slash"#]))
    }

    @Test func deps() throws {
        #expect(try ChangeSyntax.deps("users") == [Dep(table: "users")])
        #expect(try ChangeSyntax.deps("users:42") == [Dep(table: "users", key: "42")])
        #expect(try ChangeSyntax.deps(["users:1,2", "orders"])
            == [Dep(table: "users", key: "1"), Dep(table: "users", key: "2"), Dep(table: "orders")])
    }

    @Test(arguments: ["", ":1", "users:", "users:1,,2", "users:1,", #"users\"#, "users:,1"])
    func malformed(_ text: String) {
        let error = #expect(throws: TidemarkClientError.self) { try ChangeSyntax.change(text) }
        #expect(error?.code == .invalidArgument)
        #expect(throws: TidemarkClientError.self) { try ChangeSyntax.deps(text) }
    }

    @Test func formatReadsBack() throws {
        for change in [Change(table: "users", keys: ["42", "a,b"]), Change(table: "db:x", keys: [#"k\"#])] {
            #expect(try ChangeSyntax.change(ChangeSyntax.format(change)) == change)
        }
        #expect(ChangeSyntax.format(Change(table: "orders")) == "orders(*)")
        #expect(ChangeSyntax.format(Change(table: "users", keys: ["42", "43"])) == "users:42,43")
        #expect(ChangeSyntax.format(Dep(table: "users", key: "42")) == "users:42")
        #expect(ChangeSyntax.format(Dep(table: "users")) == "users")
    }
}
