import NIOCore
import TidemarkStore

/// Decodes the usual shape of a `check` request straight from its line's bytes:
///
///     {"jsonrpc":"2.0","id":7,"method":"check","params":{"epoch":"…","lsn":9,"deps":[{"table":"t","key":"k"}]}}
///
/// with members in any order, JSON whitespace anywhere, a number or string id, a null or
/// absent `key`, and `params` holding either one stamp or `entries` of stamps. Building a
/// `JSONValue` tree and reading it field by field costs more than answering the check
/// itself, and checks are most of the traffic.
///
/// Anything else gives nil and takes the general way: other methods, escapes or non-ASCII
/// in strings, unknown or repeated members, numbers that are not plain digits, values out
/// of limits, and every malformed request. So this decoder never produces an error, and
/// only has to agree with the general way on what it accepts, which the tests and the fuzz
/// target check.
public enum CompactCheckDecoder {
    public struct Decoded: Hashable, Sendable {
        public var id: RPCID
        public var params: CheckMethod.Params
    }

    /// The depth of the deepest value this decoder accepts (`entries[i].deps[j]`, counted
    /// as the JSON parser counts): below it the general way refuses what this would accept.
    static let depthNeeded = 6

    public static func decode(_ line: ByteBuffer, limits: ProtocolLimits) -> Decoded? {
        guard limits.maxDepth >= depthNeeded else { return nil }
        return line.withUnsafeReadableBytes { bytes in
            var scanner = CompactScanner(bytes: bytes)
            return scanner.request(limits: limits)
        }
    }

    /// What the general way reads from `line`, in the same terms: nil unless it is one
    /// well-formed `check` request with an id. Whatever `decode` returns, this must return
    /// too; the tests and the fuzz target hold it to that.
    static func decodeGenerally(_ line: ByteBuffer, limits: ProtocolLimits) -> Decoded? {
        let inbound = RPCInbound.decode(line, maxBatch: limits.maxBatch, maxDepth: limits.maxDepth)
        guard case .single(.success(let request)) = inbound, request.method == RPCMethod.check.rawValue,
              let id = request.id, let params = try? CheckMethod.Params(json: request.params, limits: limits)
        else { return nil }
        return Decoded(id: id, params: params)
    }
}

/// The request grammar of `CompactCheckDecoder`, over `CompactScanner`'s tokens.
extension CompactScanner {
    fileprivate mutating func request(limits: ProtocolLimits) -> CompactCheckDecoder.Decoded? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var id: RPCID?
        var sawVersion = false
        var sawMethod = false
        var params: CheckMethod.Params?
        repeat {
            guard let name = string() else { return nil }
            guard take(UInt8(ascii: ":")) else { return nil }
            if matches(name, "jsonrpc") {
                guard !sawVersion, let value = string(), matches(value, "2.0") else { return nil }
                sawVersion = true
            } else if matches(name, "id") {
                guard id == nil, let value = requestID() else { return nil }
                id = value
            } else if matches(name, "method") {
                guard !sawMethod, let value = string(), matches(value, "check") else { return nil }
                sawMethod = true
            } else if matches(name, "params") {
                guard params == nil, let value = checkParams(limits: limits) else { return nil }
                params = value
            } else {
                return nil
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), atEnd(), sawVersion, sawMethod, let id, let params else { return nil }
        return CompactCheckDecoder.Decoded(id: id, params: params)
    }

    /// A number or a plain string; a null id (allowed, but rare) goes the general way.
    private mutating func requestID() -> RPCID? {
        if next == UInt8(ascii: "\"") {
            return string().map { .string(text($0)) }
        }
        return integer().map(RPCID.number)
    }

    private mutating func checkParams(limits: ProtocolLimits) -> CheckMethod.Params? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var fields = StampMembers()
        var entries: [CheckQuery]?
        repeat {
            guard let name = string() else { return nil }
            guard take(UInt8(ascii: ":")) else { return nil }
            if matches(name, "entries") {
                guard entries == nil, let value = checkEntries(limits: limits) else { return nil }
                entries = value
            } else {
                guard stampMember(name, into: &fields, limits: limits) else { return nil }
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { return nil }
        if let entries {
            return fields.isEmpty ? .entries(entries) : nil
        }
        return fields.query.map(CheckMethod.Params.single)
    }

    private mutating func checkEntries(limits: ProtocolLimits) -> [CheckQuery]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var queries: [CheckQuery] = []
        if take(UInt8(ascii: "]")) { return queries }
        repeat {
            guard queries.count < limits.maxEntries, take(UInt8(ascii: "{")) else { return nil }
            var fields = StampMembers()
            repeat {
                guard let name = string(), take(UInt8(ascii: ":")), stampMember(name, into: &fields, limits: limits) else {
                    return nil
                }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")), let query = fields.query else { return nil }
            queries.append(query)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? queries : nil
    }

    /// `epoch`, `lsn` and `deps` of one stamp, each at most once.
    private struct StampMembers {
        var epoch: Epoch?
        var lsn: UInt64?
        var deps: [Dep]?

        var isEmpty: Bool { epoch == nil && lsn == nil && deps == nil }

        var query: CheckQuery? {
            guard let epoch, let lsn, let deps else { return nil }
            return .stamp(Stamp(epoch: epoch, lsn: lsn), deps: deps)
        }
    }

    private mutating func stampMember(_ name: Range<Int>, into fields: inout StampMembers, limits: ProtocolLimits) -> Bool {
        if matches(name, "epoch") {
            guard fields.epoch == nil, let value = string(), let epoch = Epoch(hex: text(value)) else { return false }
            fields.epoch = epoch
        } else if matches(name, "lsn") {
            guard fields.lsn == nil, let value = unsigned() else { return false }
            fields.lsn = value
        } else if matches(name, "deps") {
            guard fields.deps == nil, let value = deps(limits: limits) else { return false }
            fields.deps = value
        } else {
            return false
        }
        return true
    }

    private mutating func deps(limits: ProtocolLimits) -> [Dep]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var deps: [Dep] = []
        if take(UInt8(ascii: "]")) { return deps }
        repeat {
            guard deps.count < limits.maxDeps, let dep = dep(limits: limits) else { return nil }
            deps.append(dep)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? deps : nil
    }

    private mutating func dep(limits: ProtocolLimits) -> Dep? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var table: String?
        var key: String??
        repeat {
            guard let name = string(), take(UInt8(ascii: ":")) else { return nil }
            if matches(name, "table") {
                guard table == nil, let value = self.name(max: limits.maxTableBytes) else { return nil }
                table = value
            } else if matches(name, "key") {
                guard key == nil else { return nil }
                if takeNull() {
                    key = .some(nil)
                } else {
                    guard let value = self.name(max: limits.maxKeyBytes) else { return nil }
                    key = .some(value)
                }
            } else {
                return nil
            }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), let table else { return nil }
        return Dep(table: table, key: key ?? nil)
    }

    /// A table or key: a non-empty plain string of at most `max` bytes.
    private mutating func name(max: Int) -> String? {
        guard let range = string(), !range.isEmpty, range.count <= max else { return nil }
        return text(range)
    }
}
