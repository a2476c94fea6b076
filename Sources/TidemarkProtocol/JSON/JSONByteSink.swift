/// The serializer behind `JSONWriter`.
///
/// Output goes to a plain byte buffer that starts on the stack and moves to
/// the heap only when it outgrows it; the destination (`ByteBuffer`, array,
/// string) receives the result in one copy. Appending to a `ByteBuffer` or
/// `Array` piece by piece costs a bounds check and a uniqueness check per
/// call, which dominated serialization time.
struct JSONByteSink: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var ownsStorage = false
    private var count = 0

    private init(initialStorage: UnsafeMutableBufferPointer<UInt8>) {
        base = initialStorage.baseAddress!
        capacity = initialStorage.count
    }

    deinit {
        if ownsStorage {
            base.deallocate()
        }
    }

    /// Serializes `value` and hands the bytes to `body`; they are only valid during the call.
    @discardableResult
    static func serialize<Result>(_ value: JSONValue, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { storage in
            var sink = JSONByteSink(initialStorage: storage)
            sink.write(value)
            return body(UnsafeBufferPointer(start: sink.base, count: sink.count))
        }
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if capacity - count < extra {
            grow(toAtLeast: count + extra)
        }
    }

    private mutating func grow(toAtLeast minimum: Int) {
        var newCapacity = capacity * 2
        while newCapacity < minimum {
            newCapacity *= 2
        }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        if ownsStorage {
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
        ownsStorage = true
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    private mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null:
            append("null")
        case .bool(let flag):
            append(flag ? "true" : "false")
        case .integer(let number):
            appendDecimal(number.magnitude, negative: number < 0)
        case .unsigned(let number):
            appendDecimal(number, negative: false)
        case .double(let number):
            // Non-finite values cannot come from parsing and have no JSON
            // spelling; `null` keeps the output valid.
            if number.isFinite {
                var text = number.description
                text.withUTF8 { append($0) }
            } else {
                append("null")
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
            for member in object.members {
                if !first {
                    append(UInt8(ascii: ","))
                }
                first = false
                appendQuoted(member.key)
                append(UInt8(ascii: ":"))
                write(member.value)
            }
            append(UInt8(ascii: "}"))
        }
    }

    private mutating func appendDecimal(_ magnitude: UInt64, negative: Bool) {
        // 20 digits for UInt64.max plus a sign.
        reserve(21)
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = 21
            var remaining = magnitude
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
                remaining /= 10
            } while remaining != 0
            if negative {
                index -= 1
                scratch[index] = UInt8(ascii: "-")
            }
            let length = 21 - index
            (base + count).update(from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + index, count: length)
            count += length
        }
    }

    /// Copies runs that need no escaping in one go; only `"`, `\` and control
    /// characters break a run.
    private mutating func appendQuoted(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            // Two quotes plus the text; escapes reserve their own room.
            reserve(utf8.count + 2)
            base[count] = UInt8(ascii: "\"")
            count += 1
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                append(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                appendEscape(byte)
                runStart = index + 1
            }
            append(UnsafeBufferPointer(rebasing: utf8[runStart...]))
            append(UInt8(ascii: "\""))
        }
    }

    private mutating func appendEscape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): append("\\\"")
        case UInt8(ascii: "\\"): append("\\\\")
        case 0x0A: append("\\n")
        case 0x0D: append("\\r")
        case 0x09: append("\\t")
        case 0x08: append("\\b")
        case 0x0C: append("\\f")
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            append("\\u00")
            append(hexDigits.utf8Start[Int(byte >> 4)])
            append(hexDigits.utf8Start[Int(byte & 0x0F)])
        }
    }
}
