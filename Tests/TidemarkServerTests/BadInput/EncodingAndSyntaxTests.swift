import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// Byte- and syntax-level hostility: broken UTF-8, NUL bytes, deep nesting, duplicate
/// keys, odd numbers. Every one is -32700 for the line (id null) or -32602 naming the
/// field, changes nothing, and leaves the connection usable.
@Suite("Bad input: encoding and JSON syntax")
struct EncodingAndSyntaxTests {
    private static let writePrefix = Array(#"{"jsonrpc":"2.0","id":1,"method":"write","params":{"changes":[{"table":""#.utf8)
    private static let writeSuffix = Array(#""}]}}"#.utf8)

    /// Invalid UTF-8 inside a string: overlong, stray continuation, truncated sequence,
    /// UTF-16 surrogate, beyond U+10FFFF, and bytes never valid in UTF-8.
    @Test(arguments: [
        [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0x80], [0xBF, 0x41], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
        [0xFE], [0xFF], [0xC3],
    ] as [[UInt8]])
    func invalidUTF8InAStringIsAParseError(bytes: [UInt8]) async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                try await probe.expectRefused(Self.writePrefix + bytes + Self.writeSuffix, code: -32700)
                // Outside any string too: between tokens and as the whole line.
                try await probe.expectRefused(Array(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8) + bytes, code: -32700)
                try await probe.expectRefused(bytes, code: -32700)
            }
        }
    }

    @Test func unpairedSurrogateEscapesAreParseErrors() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                for escape in [#"\ud800"#, #"\udc00"#, #"\ud800x"#, #"\ud800\u0041"#, #"\udbff\udbff"#] {
                    try await probe.expectRefused(
                        BadInputProbe.request("write", params: #"{"changes":[{"table":"a\#(escape)"}]}"#), code: -32700)
                }
                // A proper pair is a valid name.
                let paired = try await probe.answer(
                    BadInputProbe.request("write", params: #"{"changes":[{"table":"a\ud83d\ude00"}]}"#))
                #expect(paired["result"]?.objectValue?["lsn"] == 1)
            }
        }
    }

    @Test func rawNULBytesAreParseErrors() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                try await probe.expectRefused(Self.writePrefix + [0x61, 0x00, 0x62] + Self.writeSuffix, code: -32700)
                try await probe.expectRefused(Array(#"{"jsonrpc":"2.0","id":1,"#.utf8) + [0] + Array(#""method":"ping"}"#.utf8), code: -32700)
                try await probe.expectRefused([0], code: -32700)
                try await probe.expectRefused([0, 0, 0, 0], code: -32700)
                try await probe.expectRefused(Array(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8) + [0], code: -32700)
            }
        }
    }

    /// `\u0000` is legal JSON, so a name may hold NUL; it must not cut the name short
    /// anywhere on the way to LMDB and back.
    @Test func anEscapedNULIsPartOfTheName() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let written = try await probe.answer(
                    BadInputProbe.request("write", params: #"{"changes":[{"table":"a\u0000b","keys":["k\u0000"]}]}"#))
                #expect(written["result"]?.objectValue?["lsn"] == 1)
                let stamp = try await probe.answer(BadInputProbe.request(
                    "stamp",
                    params: #"{"deps":[{"table":"a"},{"table":"a\u0000b"},{"table":"a\u0000b","key":"k"},{"table":"a\u0000b","key":"k\u0000"}]}"#))
                #expect(stamp["result"]?.objectValue?["versions"] == [0, 1, 0, 1])
                let log = try await probe.answer(BadInputProbe.request("log", params: "{}"))
                let change = log["result"]?["records"]?.arrayValue?.first?["changes"]?.arrayValue?.first
                #expect(change == ["table": "a\u{0}b", "keys": ["k\u{0}"]])
            }
        }
    }

    @Test func tenThousandLevelsOfNestingAreRefusedAnywhere() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let depth = 10_000
                let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
                try await probe.expectRefused(
                    BadInputProbe.request("write", params: #"{"changes":[{"table":"t"}],"meta":\#(objects)}"#), code: -32700)
                let mixed = String(repeating: #"[{"a":"#, count: depth / 2) + "1" + String(repeating: "}]", count: depth / 2)
                try await probe.expectRefused(mixed, code: -32700)
                // Unclosed: the parser must give up at the limit, not at the end of the line.
                try await probe.expectRefused(String(repeating: "[", count: depth), code: -32700)
                try await probe.expectRefused(
                    BadInputProbe.request("stamp", params: #"{"deps":\#(String(repeating: "[", count: depth))"#), code: -32700)
            }
        }
    }

    /// `max_depth` counts every array and object, the envelope included: 64 levels
    /// parse, 65 do not.
    @Test func nestingExactlyAtTheLimitIsAccepted() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let limits = try await client.result("hello").objectValue?["limits"]
                let maxDepth = try #require(limits?["max_depth"]?.int64Value.map(Int.init))
                func nested(_ levels: Int) -> String {
                    String(repeating: #"{"a":"#, count: levels - 1) + "{}" + String(repeating: "}", count: levels - 1)
                }
                // Envelope (1) and params (2) hold meta at level 3.
                let atLimit = try await probe.answer(
                    BadInputProbe.request("write", params: #"{"changes":[{"table":"t"}],"meta":\#(nested(maxDepth - 2))}"#))
                #expect(atLimit["result"]?.objectValue?["lsn"] == 1, "\(atLimit)")
                try await probe.expectRefused(
                    BadInputProbe.request("write", params: #"{"changes":[{"table":"t"}],"meta":\#(nested(maxDepth - 1))}"#),
                    code: -32700)
            }
        }
    }

    @Test func duplicateKeysAnywhereAreParseErrors() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                for params in [
                    #"{"changes":[{"table":"a","table":"b"}]}"#,
                    #"{"changes":[{"table":"a"}],"changes":[{"table":"b"}]}"#,
                    #"{"changes":[{"table":"a"}],"meta":{"x":{"y":1,"y":2}}}"#,
                    #"{"changes":[{"table":"a"}],"meta":{"k":1,"\u006b":2}}"#,
                ] {
                    try await probe.expectRefused(BadInputProbe.request("write", params: params), code: -32700)
                }
                try await probe.expectRefused(#"{"jsonrpc":"2.0","id":1,"method":"ping","method":"ping"}"#, code: -32700)
                try await probe.expectRefused(#"{"jsonrpc":"2.0","jsonrpc":"2.0","id":1,"method":"ping"}"#, code: -32700)
                // Keys are compared by their scalars: "é" and "e" + U+0301 are two keys.
                let distinct = try await probe.answer(
                    BadInputProbe.request("write", params: #"{"changes":[{"table":"a"}],"meta":{"\u00e9":1,"e\u0301":2}}"#))
                #expect(distinct["result"]?.objectValue?["lsn"] == 1, "\(distinct)")
            }
        }
    }

    /// Where a non-negative integer is expected: negatives, fractions, exponents, values
    /// past 2^64-1 and huge doubles are -32602 naming the field.
    @Test(arguments: [
        ("check", #"{"epoch":"$E","lsn":$V,"deps":[]}"#, "lsn"),
        ("register", #"{"name":"n","epoch":"$E","lsn":$V,"deps":[]}"#, "lsn"),
        ("log", #"{"from":$V}"#, "from"),
        ("log", #"{"limit":$V}"#, "limit"),
        ("watch", #"{"from":$V}"#, "from"),
        ("compact", #"{"before":$V}"#, "before"),
        ("unwatch", #"{"watch":$V}"#, "watch"),
        ("begin", #"{"changes":[{"table":"t"}],"ttl_ms":$V}"#, "ttl_ms"),
        ("register", #"{"name":"n","epoch":"$E","lsn":0,"deps":[],"ttl_ms":$V}"#, "ttl_ms"),
        ("check", #"{"entries":[{"epoch":"$E","lsn":$V,"deps":[]}]}"#, "entries[0].lsn"),
    ])
    func badIntegersAreInvalidParams(method: String, template: String, field: String) async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let epoch = try #require(try await client.result("hello").objectValue?["epoch"]?.stringValue)
                for value in [
                    "-1", "-0.5", "1.5", "1.0", "1e3", "1E+2", "0.0", "-9223372036854775808", "-9223372036854775809",
                    "18446744073709551616", "99999999999999999999999999", "1e308", "-1e308", "5e-324",
                ] {
                    let params = template.replacingOccurrences(of: "$E", with: epoch)
                        .replacingOccurrences(of: "$V", with: value)
                    try await probe.expectRefused(
                        BadInputProbe.request(method, params: params, id: 7), code: -32602, field: field, id: 7)
                }
                // Beyond a double's range the line itself is not JSON.
                let outOfRange = template.replacingOccurrences(of: "$E", with: epoch)
                    .replacingOccurrences(of: "$V", with: "1e400")
                try await probe.expectRefused(BadInputProbe.request(method, params: outOfRange), code: -32700)
            }
        }
    }

    /// The largest UInt64 is a valid LSN: exact, never rounded through a double.
    @Test func theLargestLSNIsExact() async throws {
        try await TestServer.withServer { server in
            try await LineClient.with(server.socketPath) { client in
                let probe = BadInputProbe(client: client)
                let epoch = try #require(try await client.result("hello").objectValue?["epoch"]?.stringValue)
                let check = try await probe.answer(BadInputProbe.request(
                    "check", params: #"{"epoch":"\#(epoch)","lsn":18446744073709551615,"deps":[{"table":"t"}]}"#))
                #expect(check["result"]?.objectValue?["valid"] == false)
                #expect(check["result"]?.objectValue?["reason"] == "future")
                let log = try await probe.answer(BadInputProbe.request("log", params: #"{"from":18446744073709551615}"#))
                #expect(log["result"]?.objectValue?["records"] == [])
                #expect(log["result"]?.objectValue?["next"] == .unsigned(18_446_744_073_709_551_615))
                let huge = try await probe.answer(BadInputProbe.request("log", params: #"{"limit":18446744073709551615}"#))
                #expect(huge["result"]?.objectValue?["records"] == [], "a limit above the maximum is capped: \(huge)")
            }
        }
    }
}
