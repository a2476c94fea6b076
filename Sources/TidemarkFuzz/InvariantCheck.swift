#if DEBUG || TIDEMARK_FUZZ
import NIOCore
@testable import TidemarkProtocol
import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

/// The properties every input must keep, derived from PROTOCOL.md rather than from the
/// server's code: what framing yields, which lines are answered and how, and that a
/// request answered with an error changed nothing.
enum InvariantCheck {
    /// What the answers said, for the state check.
    struct Answers {
        /// LSNs of the records that successful `write`/`commit`/`begin`/`abort` reported.
        var recordLSNs: [LSN] = []
        /// Some mutation (including `register`, `compact`) answered with success.
        var mutationSucceeded = false
        /// Well-formed notifications naming a mutation: they get no answer, so whether
        /// they wrote is not visible.
        var silentMutations = 0
    }

    /// The answer a line must get.
    private enum ExpectedLine {
        /// An error for the line as a whole, id null.
        case lineError(Int)
        case single(Member)
        case batch([Member])
    }

    /// A request (or batch element) that must be answered.
    private struct Member {
        var id: JSONValue
        var method: String?
    }

    static let documentedCodes: Set<Int> = [
        -32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32005, -32006,
        -32007,
    ]
    private static let mutations: Set<String> = ["write", "begin", "commit", "abort", "register", "compact"]
    private static let recordMutations: Set<String> = ["write", "begin", "commit", "abort"]
    private static let envelopeMembers: Set<String> = ["jsonrpc", "id", "method", "params"]

    static func violated(_ message: String) -> Never {
        printError("tidemark-fuzz: invariant violated: \(message)")
        fatalError(message)
    }

    // MARK: Framing

    /// Whatever the compact `check` decoder accepts, the general way (JSON tree, envelope,
    /// `CheckMethod.Params`) must read identically: the server answers it without the
    /// general way ever seeing it.
    static func compactDecoding(_ frames: [InboundFrame], limits: ProtocolLimits) {
        for case .line(let line) in frames {
            guard let decoded = CompactCheckDecoder.decode(line, limits: limits) else { continue }
            let general = CompactCheckDecoder.decodeGenerally(line, limits: limits)
            guard general == decoded else {
                violated("the compact check decoder read \(decoded) from a line the general way reads as \(String(describing: general))")
            }
        }
    }

    /// Lines are the bytes between `\n`s (a final unterminated one included), a trailing
    /// `\r` stripped; one longer than the limit (counting the `\r`) is reported once.
    static func framing(_ frames: [InboundFrame], of bytes: [UInt8], maxLineBytes: Int) {
        var expected: [InboundFrame] = []
        func add(_ segment: ArraySlice<UInt8>) {
            if segment.count > maxLineBytes {
                expected.append(.oversized)
            } else {
                expected.append(.line(ByteBuffer(bytes: segment.last == 13 ? segment.dropLast() : segment)))
            }
        }
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 10 {
            add(bytes[start..<index])
            start = index + 1
        }
        if start < bytes.count { add(bytes[start...]) }
        guard frames == expected else {
            violated("framing gave \(frames.count) frames \(frames), expected \(expected.count) \(expected)")
        }
    }

    // MARK: Answers

    /// Checks the output against the frames: every request line answered exactly once,
    /// in order, with its id; notifications not answered; every error well-formed.
    static func answers(_ output: ByteBuffer, to frames: [InboundFrame], limits: ProtocolLimits) -> Answers {
        var answers = Answers()
        var expected: [ExpectedLine] = []
        for frame in frames {
            if let line = expectation(frame, limits: limits, &answers) { expected.append(line) }
        }
        let bytes = Array(output.readableBytesView)
        if let last = bytes.last, last != 10 { violated("output does not end with a newline") }
        var responses: [JSONValue] = []
        for line in bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast() {
            let value: JSONValue
            do {
                value = try JSONParser.parse(line, maxDepth: 4096)
            } catch {
                violated("a response line is not JSON (\(error)): \(String(decoding: line, as: UTF8.self))")
            }
            if isNotification(value) { continue }
            responses.append(value)
        }
        guard responses.count == expected.count else {
            violated("\(responses.count) response lines for \(expected.count) lines that need one: \(responses)")
        }
        for (response, expectation) in zip(responses, expected) {
            switch expectation {
            case .lineError(let code):
                guard let error = check(response, id: .null) else { violated("no error for a bad line: \(response)") }
                guard error["code"] == .integer(Int64(code)) else { violated("expected \(code), got \(response)") }
            case .single(let member):
                record(check(response, id: member.id), response, member, &answers)
            case .batch(let members):
                guard let elements = response.arrayValue, elements.count == members.count else {
                    violated("a batch of \(members.count) answerable requests got \(response)")
                }
                for (element, member) in zip(elements, members) {
                    record(check(element, id: member.id), element, member, &answers)
                }
            }
        }
        return answers
    }

    private static func isNotification(_ value: JSONValue) -> Bool {
        guard let object = value.objectValue, object["id"] == nil, let method = object["method"]?.stringValue else {
            return false
        }
        guard method == RPCNotificationMethod.watchEvent || method == RPCNotificationMethod.watchLost else {
            violated("unexpected notification \(value)")
        }
        return true
    }

    private static func expectation(_ frame: InboundFrame, limits: ProtocolLimits, _ answers: inout Answers) -> ExpectedLine? {
        guard case .line(let line) = frame else { return .lineError(-32600) }
        guard let document = try? JSONParser.parse(line, maxDepth: limits.maxDepth) else { return .lineError(-32700) }
        guard let elements = document.arrayValue else {
            return member(document, &answers).map { .single($0) }
        }
        if elements.isEmpty || elements.count > limits.maxBatch { return .lineError(-32600) }
        let members = elements.compactMap { member($0, &answers) }
        return members.isEmpty ? nil : .batch(members)
    }

    /// The answer a request needs, or nil for a well-formed notification (no `id`).
    private static func member(_ value: JSONValue, _ answers: inout Answers) -> Member? {
        guard let object = value.objectValue else { return Member(id: .null, method: nil) }
        let method = object["method"]?.stringValue
        guard let id = object["id"] else {
            let params = object["params"]
            let wellFormed = object["jsonrpc"]?.stringValue == "2.0" && method != nil
                && object.keys.allSatisfy(envelopeMembers.contains)
                && (params == nil || params!.isNull || params!.objectValue != nil)
            if wellFormed {
                if let method, mutations.contains(method) { answers.silentMutations += 1 }
                return nil
            }
            return Member(id: .null, method: method)
        }
        return Member(id: RPCID(json: id) == nil ? .null : id, method: method)
    }

    /// Checks a response object's shape and id; returns its error object, if any.
    private static func check(_ response: JSONValue, id: JSONValue) -> JSONObject? {
        guard let object = response.objectValue, object["jsonrpc"] == "2.0", object.count == 3,
              let answeredID = object["id"]
        else { violated("malformed response \(response)") }
        guard answeredID == id else { violated("response id \(answeredID), expected \(id): \(response)") }
        if object["result"] != nil { return nil }
        guard let error = object["error"]?.objectValue else { violated("neither result nor error: \(response)") }
        guard let code = error["code"]?.int64Value.map(Int.init), documentedCodes.contains(code) else {
            violated("undocumented error code: \(response)")
        }
        guard error["message"]?.stringValue?.isEmpty == false else { violated("error without a message: \(response)") }
        let data = error["data"]?.objectValue
        switch code {
        case -32603:
            violated("an input reached an internal error: \(response)")
        case -32602:
            guard data?["field"]?.stringValue?.isEmpty == false else { violated("-32602 without data.field: \(response)") }
        case -32601:
            guard data?["method"]?.stringValue != nil else { violated("-32601 without data.method: \(response)") }
        case -32003:
            let states: Set<String> = ["committed", "aborted", "expired", "unknown"]
            guard let state = data?["state"]?.stringValue, states.contains(state) else {
                violated("-32003 without a valid data.state: \(response)")
            }
        case -32004:
            guard data?["oldest"]?.uint64Value != nil else { violated("-32004 without data.oldest: \(response)") }
        case -32007:
            guard data?["position"]?.uint64Value != nil else { violated("-32007 without data.position: \(response)") }
        default:
            break
        }
        return error
    }

    private static func record(_ error: JSONObject?, _ response: JSONValue, _ member: Member, _ answers: inout Answers) {
        if let error {
            if error["code"] == -32700 { violated("a parse error for one request of a parsed line: \(response)") }
            return
        }
        guard let method = member.method, mutations.contains(method) else { return }
        // A replayed source position (PROTOCOL 7.3.1) is answered but writes nothing: the
        // state checks then hold it to changing nothing.
        if response.objectValue?["result"]?.objectValue?["duplicate"] == .bool(true) { return }
        answers.mutationSucceeded = true
        guard recordMutations.contains(method) else { return }
        guard let lsn = response.objectValue?["result"]?.objectValue?["lsn"]?.uint64Value else {
            violated("a successful \(method) without an lsn: \(response)")
        }
        answers.recordLSNs.append(lsn)
    }

    // MARK: State

    /// Every record is accounted for by a successful answer (or a silent notification),
    /// and when nothing succeeded nothing changed at all.
    static func state(before: StoreStatistics, after: StoreStatistics, answers: Answers) {
        let lsns = answers.recordLSNs
        guard after.lsn >= before.lsn else { violated("lsn went back from \(before.lsn) to \(after.lsn)") }
        for (earlier, later) in zip(lsns, lsns.dropFirst()) where later <= earlier {
            violated("record lsns out of order on one connection: \(lsns)")
        }
        if let first = lsns.first, let last = lsns.last, first <= before.lsn || last > after.lsn {
            violated("answered lsns \(lsns) outside (\(before.lsn), \(after.lsn)]")
        }
        let written = Int(after.lsn - before.lsn)
        guard written >= lsns.count, written <= lsns.count + answers.silentMutations else {
            violated(
                "\(written) records written, \(lsns.count) answered, \(answers.silentMutations) silent mutations")
        }
        if !answers.mutationSucceeded && answers.silentMutations == 0 {
            let unchanged =
                before.lsn == after.lsn && before.oldest == after.oldest && before.records == after.records
                && before.tables == after.tables && before.keys == after.keys
                && before.openIntents == after.openIntents && before.names == after.names
            guard unchanged else { violated("state changed with no successful mutation: \(before) -> \(after)") }
        }
    }
}
#endif
