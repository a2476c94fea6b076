import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// Every method, every field, every wrong JSON type: -32602 with `data.field` naming the
/// field, nothing changed, the connection still answering.
@Suite("Bad input: params of every wrong JSON type")
struct WrongParamTypeTests {
    enum Kind: Sendable {
        case string, unsigned, array, object
    }

    /// One field of one method: `template` is valid params with `$V` where the field's
    /// value goes (`$E` is the server's epoch).
    struct Field: Sendable, CustomTestStringConvertible {
        var method: String
        var template: String
        var path: String
        var kind: Kind
        /// Absent (or null) is an error too; for optional fields null means absent.
        var required: Bool

        var testDescription: String { "\(method) \(path)" }
    }

    /// A value of each JSON type (and the integer variants that are not UInt64).
    static let values: [(text: String, kind: Kind?)] = [
        (#""s""#, .string), ("7", .unsigned), ("-7", nil), ("1.5", nil), ("true", nil), ("false", nil),
        ("null", nil), ("[]", .array), (#"["x"]"#, .array), ("{}", .object), (#"{"a":1}"#, .object),
    ]

    static let fields: [Field] = {
        func f(_ method: String, _ template: String, _ path: String, _ kind: Kind, required: Bool = true) -> Field {
            Field(method: method, template: template, path: path, kind: kind, required: required)
        }
        var fields: [Field] = []
        for method in ["write", "begin"] {
            fields += [
                f(method, #"{"changes":$V}"#, "changes", .array),
                f(method, #"{"changes":[$V]}"#, "changes[0]", .object),
                f(method, #"{"changes":[{"table":"t"},$V]}"#, "changes[1]", .object),
                f(method, #"{"changes":[{"table":$V}]}"#, "changes[0].table", .string),
                f(method, #"{"changes":[{"table":"t","keys":$V}]}"#, "changes[0].keys", .array, required: false),
                f(method, #"{"changes":[{"table":"t","keys":["k",$V]}]}"#, "changes[0].keys[1]", .string),
                f(method, #"{"changes":[{"table":"t"}],"meta":$V}"#, "meta", .object, required: false),
            ]
        }
        fields.append(f("begin", #"{"changes":[{"table":"t"}],"ttl_ms":$V}"#, "ttl_ms", .unsigned, required: false))
        fields += [
            f("stamp", #"{"deps":$V}"#, "deps", .array, required: false),
            f("stamp", #"{"deps":[$V]}"#, "deps[0]", .object),
            f("stamp", #"{"deps":[{"table":$V}]}"#, "deps[0].table", .string),
            f("stamp", #"{"deps":[{"table":"t","key":$V}]}"#, "deps[0].key", .string, required: false),
            f("check", #"{"epoch":$V,"lsn":0,"deps":[]}"#, "epoch", .string),
            f("check", #"{"epoch":"$E","lsn":$V,"deps":[]}"#, "lsn", .unsigned),
            f("check", #"{"epoch":"$E","lsn":0,"deps":$V}"#, "deps", .array),
            f("check", #"{"epoch":"$E","lsn":0,"deps":[$V]}"#, "deps[0]", .object),
            f("check", #"{"epoch":"$E","lsn":0,"deps":[{"table":$V}]}"#, "deps[0].table", .string),
            f("check", #"{"epoch":"$E","lsn":0,"deps":[{"table":"t","key":$V}]}"#, "deps[0].key", .string, required: false),
            // Null `name`/`entries` select the other form of check; see `nullPicksAnotherForm`.
            f("check", #"{"name":$V}"#, "name", .string, required: false),
            f("check", #"{"entries":$V}"#, "entries", .array, required: false),
            f("check", #"{"entries":[$V]}"#, "entries[0]", .object),
            f("check", #"{"entries":[{"name":$V}]}"#, "entries[0].name", .string, required: false),
            f("check", #"{"entries":[{"epoch":$V,"lsn":0,"deps":[]}]}"#, "entries[0].epoch", .string),
            f("check", #"{"entries":[{"epoch":"$E","lsn":$V,"deps":[]}]}"#, "entries[0].lsn", .unsigned),
            f("check", #"{"entries":[{"epoch":"$E","lsn":0,"deps":$V}]}"#, "entries[0].deps", .array),
            f("check", #"{"entries":[{"epoch":"$E","lsn":0,"deps":[{"table":$V}]}]}"#, "entries[0].deps[0].table", .string),
            f("register", #"{"name":$V,"epoch":"$E","lsn":0,"deps":[]}"#, "name", .string),
            f("register", #"{"name":"n","epoch":$V,"lsn":0,"deps":[]}"#, "epoch", .string),
            f("register", #"{"name":"n","epoch":"$E","lsn":$V,"deps":[]}"#, "lsn", .unsigned),
            f("register", #"{"name":"n","epoch":"$E","lsn":0,"deps":$V}"#, "deps", .array),
            f("register", #"{"name":"n","epoch":"$E","lsn":0,"deps":[$V]}"#, "deps[0]", .object),
            f("register", #"{"name":"n","epoch":"$E","lsn":0,"deps":[{"table":$V}]}"#, "deps[0].table", .string),
            f("register", #"{"name":"n","epoch":"$E","lsn":0,"deps":[],"ttl_ms":$V}"#, "ttl_ms", .unsigned, required: false),
            f("commit", #"{"intent":$V}"#, "intent", .string),
            f("abort", #"{"intent":$V}"#, "intent", .string),
            f("log", #"{"from":$V}"#, "from", .unsigned, required: false),
            f("log", #"{"limit":$V}"#, "limit", .unsigned, required: false),
            f("log", #"{"tables":$V}"#, "tables", .array, required: false),
            f("log", #"{"tables":["t",$V]}"#, "tables[1]", .string),
            f("watch", #"{"from":$V}"#, "from", .unsigned, required: false),
            f("watch", #"{"tables":$V}"#, "tables", .array, required: false),
            f("watch", #"{"tables":[$V]}"#, "tables[0]", .string),
            f("unwatch", #"{"watch":$V}"#, "watch", .unsigned),
            f("compact", #"{"before":$V}"#, "before", .unsigned),
        ]
        return fields
    }()

    @Test(arguments: fields)
    func eachWrongTypeNamesTheField(field: Field) async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let epoch = try #require(try await client.result("hello").objectValue?["epoch"]?.stringValue)
                for value in Self.values where value.kind != field.kind && (value.text != "null" || field.required) {
                    let params = field.template.replacingOccurrences(of: "$E", with: epoch)
                        .replacingOccurrences(of: "$V", with: value.text)
                    try await probe.expectRefused(
                        BadInputProbe.request(field.method, params: params, id: 3), code: -32602, field: field.path,
                        id: 3)
                }
            }
        }
    }

    /// `params` itself: anything but an object (or null, meaning none) is -32602 naming
    /// `params`; an unknown member anywhere is -32602 naming it.
    @Test(arguments: RPCMethod.allCases.map(\.rawValue))
    func paramsOfTheWrongTypeAndUnknownMembers(method: String) async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                for value in Self.values where value.kind != .object && value.text != "null" {
                    try await probe.expectRefused(
                        BadInputProbe.request(method, params: value.text, id: 4), code: -32602, field: "params", id: 4)
                }
                let epoch = try #require(try await client.result("hello").objectValue?["epoch"]?.stringValue)
                // Otherwise valid params, so the unknown member is the only fault.
                let valid: [String: String] = [
                    "write": #""changes":[{"table":"t"}],"#, "begin": #""changes":[{"table":"t"}],"#,
                    "check": #""name":"n","#, "register": #""name":"n","epoch":"\#(epoch)","lsn":0,"deps":[],"#,
                    "commit": #""intent":"x","#, "abort": #""intent":"x","#, "unwatch": #""watch":1,"#,
                    "compact": #""before":1,"#, "source": #""name":"n","#,
                ]
                try await probe.expectRefused(
                    BadInputProbe.request(method, params: "{" + (valid[method] ?? "") + #""bogus":1}"#, id: 5),
                    code: -32602, field: "bogus", id: 5)
            }
        }
    }

    @Test func unknownMembersInsideElementsAreNamed() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let epoch = try #require(try await client.result("hello").objectValue?["epoch"]?.stringValue)
                let cases: [(String, String, String)] = [
                    ("write", #"{"changes":[{"table":"t","key":"k"}]}"#, "changes[0].key"),
                    ("stamp", #"{"deps":[{"table":"t","keys":["k"]}]}"#, "deps[0].keys"),
                    ("check", #"{"entries":[{"name":"n","lsn":1}]}"#, "entries[0].lsn"),
                    ("check", #"{"epoch":"\#(epoch)","lsn":0,"deps":[],"name2":"x"}"#, "name2"),
                    ("register", #"{"name":"n","epoch":"\#(epoch)","lsn":0,"deps":[],"ttl":5}"#, "ttl"),
                ]
                for (method, params, field) in cases {
                    try await probe.expectRefused(
                        BadInputProbe.request(method, params: params, id: 6), code: -32602, field: field, id: 6)
                }
            }
        }
    }

    /// For `check`, a null `name` or `entries` counts as absent, so the stamp form is
    /// read and its first missing field is named.
    @Test func nullPicksAnotherForm() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                try await probe.expectRefused(
                    BadInputProbe.request("check", params: #"{"name":null}"#), code: -32602, field: "epoch", id: 1)
                try await probe.expectRefused(
                    BadInputProbe.request("check", params: #"{"entries":null}"#), code: -32602, field: "epoch", id: 1)
            }
        }
    }
}
