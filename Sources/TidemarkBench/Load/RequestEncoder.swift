import NIOCore
import TidemarkProtocol

/// Writes benchmark requests as NDJSON straight into a `ByteBuffer`. Everything but the
/// key numbers and the id is encoded once, so a request costs a few memcpys.
public struct RequestEncoder: Sendable {
    /// The stamp checks are made against.
    public struct Stamp: Sendable, Hashable {
        public var epoch: String
        public var lsn: UInt64

        public init(epoch: String, lsn: UInt64) {
            self.epoch = epoch
            self.lsn = lsn
        }
    }

    public let deps: Int
    public let batch: Int
    private let writePrefix: [UInt8]
    private let writeSuffix: [UInt8]
    private let stampPrefix: [UInt8]
    private let checkPrefix: [UInt8]
    private let batchPrefix: [UInt8]
    private let entryPrefix: [UInt8]
    private let depPrefix: [UInt8]
    private static let depSuffix = Array(#""}"#.utf8)
    private static let paramsEnd = Array(#"]},"id":"#.utf8)
    private static let requestEnd = Array("}\n".utf8)

    public init(table: String, deps: Int, batch: Int, stamp: Stamp) {
        self.deps = deps
        self.batch = batch
        let table = Self.quoted(table)
        writePrefix = Array(#"{"jsonrpc":"2.0","method":"write","params":{"changes":[{"table":\#(table),"keys":["k"#.utf8)
        writeSuffix = Array(#""]}]},"id":"#.utf8)
        stampPrefix = Array(#"{"jsonrpc":"2.0","method":"stamp","params":{"deps":["#.utf8)
        let stampFields = #""epoch":\#(Self.quoted(stamp.epoch)),"lsn":\#(stamp.lsn),"deps":["#
        checkPrefix = Array(#"{"jsonrpc":"2.0","method":"check","params":{\#(stampFields)"#.utf8)
        batchPrefix = Array(#"{"jsonrpc":"2.0","method":"check","params":{"entries":["#.utf8)
        entryPrefix = Array("{\(stampFields)".utf8)
        depPrefix = Array(#"{"table":\#(table),"key":"k"#.utf8)
    }

    /// A JSON string literal; benchmark names are plain, but quotes and backslashes stay valid.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text.unicodeScalars {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default: result.unicodeScalars.append(character)
            }
        }
        return result + "\""
    }

    public func write(
        _ operation: BenchOperation, id: Int, keys: KeyDistribution, random: inout SplitMix64,
        into buffer: inout ByteBuffer
    ) {
        switch operation {
        case .write:
            buffer.writeBytes(writePrefix)
            Self.writeDecimal(keys.draw(using: &random), into: &buffer)
            buffer.writeBytes(writeSuffix)
        case .stamp:
            buffer.writeBytes(stampPrefix)
            writeDeps(keys: keys, random: &random, into: &buffer)
            buffer.writeBytes(Self.paramsEnd)
        case .check:
            buffer.writeBytes(checkPrefix)
            writeDeps(keys: keys, random: &random, into: &buffer)
            buffer.writeBytes(Self.paramsEnd)
        case .checkBatch:
            buffer.writeBytes(batchPrefix)
            for entry in 0..<batch {
                if entry > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeBytes(entryPrefix)
                writeDeps(keys: keys, random: &random, into: &buffer)
                buffer.writeInteger(UInt8(ascii: "]"))
                buffer.writeInteger(UInt8(ascii: "}"))
            }
            buffer.writeBytes(Self.paramsEnd)
        }
        Self.writeDecimal(id, into: &buffer)
        buffer.writeBytes(Self.requestEnd)
    }

    private func writeDeps(keys: KeyDistribution, random: inout SplitMix64, into buffer: inout ByteBuffer) {
        for index in 0..<deps {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeBytes(depPrefix)
            Self.writeDecimal(keys.draw(using: &random), into: &buffer)
            buffer.writeBytes(Self.depSuffix)
        }
    }

    /// The key name of key number `index`, as requests spell it.
    public static func keyName(_ index: Int) -> String { "k\(index)" }

    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        precondition(value >= 0)
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { bytes in
            var remaining = value
            for position in stride(from: digits - 1, through: 0, by: -1) {
                bytes[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            return digits
        }
    }
}
