/// The tokens `CompactCheckDecoder` needs, read from raw bytes. Each reader skips JSON
/// whitespace first and returns nil (or false) for anything outside the narrow forms it
/// knows, leaving the caller to give up: plain strings only (printable ASCII, no escapes),
/// integers only as plain digits.
struct CompactScanner {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The next byte after whitespace, not consumed.
    var next: UInt8? {
        mutating get {
            skipWhitespace()
            return position < bytes.count ? bytes[position] : nil
        }
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        position += 1
        return true
    }

    mutating func takeNull() -> Bool {
        guard next == UInt8(ascii: "n"), bytes.count - position >= 4,
              bytes[position + 1] == UInt8(ascii: "u"), bytes[position + 2] == UInt8(ascii: "l"),
              bytes[position + 3] == UInt8(ascii: "l")
        else { return false }
        position += 4
        return true
    }

    /// Only whitespace is left.
    mutating func atEnd() -> Bool {
        next == nil
    }

    /// The positions of a plain string's content.
    mutating func string() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<position - 1
            }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
            position += 1
        }
        return nil
    }

    func matches(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        return bytes[range].elementsEqual(expected)
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Plain digits, no leading zero, at most `UInt64.max`.
    mutating func unsigned(afterWhitespace: Bool = true) -> UInt64? {
        if afterWhitespace { skipWhitespace() }
        let start = position
        var value: UInt64 = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
            position += 1
        }
        let digits = position - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        return value
    }

    /// An optional minus sign, then `unsigned`, within `Int64`.
    mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        // JSON allows no whitespace between the sign and the digits.
        guard let magnitude = unsigned(afterWhitespace: !negative) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }
}
