import NIOCore

/// Compact serializer: no whitespace, members in stored order, `/` and
/// non-ASCII left as-is (the wire is UTF-8), only what RFC 8259 requires escaped.
public enum JSONWriter {
    /// Appends at the buffer's writer index.
    public static func write(_ value: JSONValue, into buffer: inout ByteBuffer) {
        // Staged in an array and copied once: ByteBuffer's per-call bounds,
        // uniqueness and exclusivity checks cost more than the extra memcpy.
        var sink = ArraySink(bytes: [])
        sink.bytes.reserveCapacity(256)
        sink.write(value)
        buffer.writeBytes(sink.bytes)
    }

    /// Appends to `bytes`.
    public static func write(_ value: JSONValue, into bytes: inout [UInt8]) {
        var sink = ArraySink(bytes: consume bytes)
        sink.write(value)
        bytes = sink.bytes
    }

    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var bytes: [UInt8] = []
        write(value, into: &bytes)
        return bytes
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }
}

/// Where serialized bytes go; generic so each destination gets a specialized writer.
private protocol JSONSink {
    mutating func append(_ byte: UInt8)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
}

private struct ArraySink: JSONSink {
    var bytes: [UInt8]

    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes.append(contentsOf: bytes)
    }
}

extension JSONSink {
    mutating func write(_ value: JSONValue) {
        switch value {
        case .null:
            appendASCII("null")
        case .bool(let flag):
            appendASCII(flag ? "true" : "false")
        case .integer(let number):
            appendDecimal(number.magnitude, negative: number < 0)
        case .unsigned(let number):
            appendDecimal(number, negative: false)
        case .double(let number):
            // Non-finite values cannot come from parsing and have no JSON
            // spelling; `null` keeps the output valid.
            if number.isFinite {
                appendString(number.description)
            } else {
                appendASCII("null")
            }
        case .string(let string):
            appendQuoted(string)
        case .array(let elements):
            append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first {
                    append(UInt8(ascii: ","))
                }
                first = false
                write(element)
            }
            append(UInt8(ascii: "]"))
        case .object(let object):
            append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object.members {
                if !first {
                    append(UInt8(ascii: ","))
                }
                first = false
                appendQuoted(key)
                append(UInt8(ascii: ":"))
                write(member)
            }
            append(UInt8(ascii: "}"))
        }
    }

    private mutating func appendASCII(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func appendString(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    private mutating func appendDecimal(_ magnitude: UInt64, negative: Bool) {
        // 20 digits for UInt64.max plus a sign.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { digits in
            var index = digits.count
            var remaining = magnitude
            repeat {
                index -= 1
                digits[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining != 0
            if negative {
                index -= 1
                digits[index] = UInt8(ascii: "-")
            }
            append(UnsafeBufferPointer(rebasing: digits[index...]))
        }
    }

    /// Copies runs that need no escaping in one go; only `"`, `\` and control
    /// characters break a run.
    private mutating func appendQuoted(_ string: String) {
        append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if index > runStart {
                    append(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                }
                appendEscape(byte)
                runStart = index + 1
            }
            if utf8.count > runStart {
                append(UnsafeBufferPointer(rebasing: utf8[runStart...]))
            }
        }
        append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ byte: UInt8) {
        append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): append(UInt8(ascii: "\\"))
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        case 0x08: append(UInt8(ascii: "b"))
        case 0x0C: append(UInt8(ascii: "f"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            appendASCII("u00")
            append(hexDigits.utf8Start[Int(byte >> 4)])
            append(hexDigits.utf8Start[Int(byte & 0x0F)])
        }
    }
}
