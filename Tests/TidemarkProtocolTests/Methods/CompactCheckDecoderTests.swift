import NIOCore
import Testing
import TidemarkStore
import TidemarkTestSupport
@testable import TidemarkProtocol

/// The compact decoder must accept the usual `check` shapes and, whatever it accepts,
/// agree exactly with the general way (JSON tree, envelope, `CheckMethod.Params`).
@Suite struct CompactCheckDecoderTests {
    static let epoch = "0123456789abcdef0123456789abcdef"
    static let limits = ProtocolLimits()

    private func compact(_ line: String, limits: ProtocolLimits = Self.limits) -> CompactCheckDecoder.Decoded? {
        CompactCheckDecoder.decode(ByteBuffer(string: line), limits: limits)
    }

    /// What the server would do without the compact decoder, as far as it can be
    /// compared: nil unless the line is one well-formed `check` request with an id.
    private func general(_ line: String, limits: ProtocolLimits = Self.limits) -> CompactCheckDecoder.Decoded? {
        CompactCheckDecoder.decodeGenerally(ByteBuffer(string: line), limits: limits)
    }

    static let accepted: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":5,"deps":[{"table":"t","key":"k"},{"table":"u"}]}}"#,
        #"{"method":"check","params":{"deps":[],"lsn":0,"epoch":"\#(epoch)"},"id":"abc","jsonrpc":"2.0"}"#,
        #" { "jsonrpc" : "2.0" , "id" : -42 , "method" : "check" , "params" : { "epoch" : "\#(epoch)" , "lsn" : 18446744073709551615 , "deps" : [ { "key" : null , "table" : "t" } ] } } "#,
        #"{"jsonrpc":"2.0","id":-9223372036854775808,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[{"table":"a b~","key":"x/y"}]}}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"check","params":{"entries":[{"epoch":"\#(epoch)","lsn":1,"deps":[{"table":"t"}]},{"deps":[],"lsn":2,"epoch":"\#(epoch)"}]}}"#,
        #"{"jsonrpc":"2.0","id":8,"method":"check","params":{"entries":[]}}"#,
    ]

    @Test(arguments: accepted)
    func usualShapesDecodeAsTheGeneralWayDoes(line: String) throws {
        let decoded = try #require(compact(line))
        #expect(decoded == general(line))
    }

    static let declined: [String] = [
        // Valid, but not the usual shape: the general way answers them.
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"name":"n"}}"#,
        #"{"jsonrpc":"2.0","id":null,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":"\u0041","method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[{"table":"tä"}]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"entries":[{"name":"n"}]}}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}}]"#,
        #"{"jsonrpc":"2.0","id":1,"method":"stamp","params":{"deps":[]}}"#,
        // Errors, which only the general way words.
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":01,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1.0,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":-1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"xyz","lsn":1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[{"table":""}]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"lsn":2,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[],"extra":1}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[],"entries":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}} x"#,
        #"{"jsonrpc":"1.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[{"table":"t",}]}}"#,
        #"{"jsonrpc":"2.0","id":- 1,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":9223372036854775808,"method":"check","params":{"epoch":"\#(epoch)","lsn":1,"deps":[]}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(epoch)","lsn":18446744073709551616,"deps":[]}}"#,
    ]

    @Test(arguments: declined)
    func otherShapesAndErrorsGoTheGeneralWay(line: String) {
        #expect(compact(line) == nil)
    }

    @Test func limitsAreLeftToTheGeneralWay() {
        var limits = Self.limits
        limits.maxDeps = 1
        limits.maxTableBytes = 3
        let twoDeps = #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(Self.epoch)","lsn":1,"deps":[{"table":"a"},{"table":"b"}]}}"#
        let longTable = #"{"jsonrpc":"2.0","id":1,"method":"check","params":{"epoch":"\#(Self.epoch)","lsn":1,"deps":[{"table":"abcd"}]}}"#
        #expect(compact(twoDeps, limits: limits) == nil)
        #expect(compact(longTable, limits: limits) == nil)
        // The deepest accepted shape (entries of deps) needs exactly `depthNeeded`.
        limits = Self.limits
        limits.maxDepth = CompactCheckDecoder.depthNeeded
        #expect(general(Self.accepted[4], limits: limits) != nil)
        limits.maxDepth = CompactCheckDecoder.depthNeeded - 1
        #expect(general(Self.accepted[4], limits: limits) == nil)
        #expect(compact(Self.accepted[0], limits: limits) == nil)
    }

    /// Mutated lines (bytes replaced, dropped, repeated or swapped): whatever the compact
    /// decoder still accepts, the general way must read identically.
    @Test func whateverItAcceptsTheGeneralWayReadsTheSame() {
        var random = SeededGenerator(seed: 20261129)
        let alphabet = Array(#"{}[]:,"\ 0123456789-.eEnulltruefalsekeytableepochlsndepsentriesidjsonrpcmethodcheck2.0"#.utf8)
        var accepted = 0
        var agreed = 0
        for round in 0..<20_000 {
            var bytes = Array(Self.accepted[round % Self.accepted.count].utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes[index] = alphabet.randomElement(using: &random)!
                case 1: if bytes.count > 1 { bytes.remove(at: index) }
                case 2: bytes.insert(bytes[index], at: index)
                default: bytes.swapAt(index, Int.random(in: 0..<bytes.count, using: &random))
                }
            }
            let line = String(decoding: bytes, as: UTF8.self)
            guard let decoded = compact(line) else { continue }
            accepted += 1
            let expected = general(line)
            if decoded == expected { agreed += 1 } else {
                Issue.record("compact \(decoded) but general \(String(describing: expected)) for \(line)")
            }
        }
        #expect(accepted > 100, "the mutations should keep some lines decodable")
        #expect(agreed == accepted)
    }
}
