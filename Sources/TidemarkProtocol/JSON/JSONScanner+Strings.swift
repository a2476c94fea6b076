extension JSONScanner {
    /// Parses the string whose opening quote is at `pos`.
    ///
    /// Every byte is validated here, strictly (no overlongs, no encoded
    /// surrogates, nothing above U+10FFFF), so `String(decoding:)` never has
    /// to repair anything and the result is exactly the text that was sent.
    mutating func parseString() throws(JSONParseError) -> String {
        let openingQuote = pos
        pos += 1
        let contentStart = pos
        while pos < end {
            let byte = base[pos]
            if byte == UInt8(ascii: "\"") {
                let string = String(
                    decoding: UnsafeBufferPointer(start: base + contentStart, count: pos - contentStart),
                    as: UTF8.self
                )
                pos += 1
                return string
            }
            if byte == UInt8(ascii: "\\") {
                return try parseEscapedString(contentStart: contentStart, openingQuote: openingQuote)
            }
            if byte < 0x20 {
                throw controlCharacter(byte)
            }
            if byte < 0x80 {
                pos += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw unterminatedString(openingQuote)
    }

    /// The slow path, entered at the first backslash: unescaped runs are
    /// copied to `scratch` in bulk and escapes are decoded in between.
    private mutating func parseEscapedString(contentStart: Int, openingQuote: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var runStart = contentStart
        while pos < end {
            let byte = base[pos]
            if byte == UInt8(ascii: "\"") {
                appendRun(from: runStart)
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                appendRun(from: runStart)
                try decodeEscape()
                runStart = pos
            } else if byte < 0x20 {
                throw controlCharacter(byte)
            } else if byte < 0x80 {
                pos += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw unterminatedString(openingQuote)
    }

    private mutating func appendRun(from start: Int) {
        if pos > start {
            scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: pos - start))
        }
    }

    /// Decodes the escape at `pos` (a backslash) into `scratch`.
    private mutating func decodeEscape() throws(JSONParseError) {
        let escapeStart = pos
        guard pos + 1 < end else {
            throw JSONParseError(message: "unexpected end of input in escape sequence at byte \(pos)", offset: pos)
        }
        let decoded: UInt8
        switch base[pos + 1] {
        case UInt8(ascii: "\""): decoded = 0x22
        case UInt8(ascii: "\\"): decoded = 0x5C
        case UInt8(ascii: "/"): decoded = 0x2F
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            let unit = try readUnicodeEscape(at: pos)
            pos += 6
            var scalar = UInt32(unit)
            if unit >= 0xD800, unit <= 0xDBFF {
                // A high surrogate is only meaningful with a low surrogate escape right after it.
                guard end - pos >= 2, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u") else {
                    throw unpairedSurrogate(unit, at: escapeStart)
                }
                let low = try readUnicodeEscape(at: pos)
                guard low >= 0xDC00, low <= 0xDFFF else {
                    throw unpairedSurrogate(unit, at: escapeStart)
                }
                pos += 6
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if unit >= 0xDC00, unit <= 0xDFFF {
                throw unpairedSurrogate(unit, at: escapeStart)
            }
            appendUTF8(scalar)
            return
        default:
            let escaped = base[pos + 1]
            let shown = escaped > 0x20 && escaped < 0x7F
                ? "'\\\(Character(Unicode.Scalar(escaped)))'"
                : "'\\' followed by \(JSONScanner.hex(escaped))"
            throw JSONParseError(message: "invalid escape sequence \(shown) at byte \(escapeStart)", offset: escapeStart)
        }
        scratch.append(decoded)
        pos += 2
    }

    /// Reads the four hex digits of the `\uXXXX` escape whose backslash is at `start`.
    private func readUnicodeEscape(at start: Int) throws(JSONParseError) -> UInt16 {
        guard end - start >= 6 else {
            throw invalidUnicodeEscape(at: start)
        }
        var unit: UInt16 = 0
        for index in (start + 2)..<(start + 6) {
            let byte = base[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw invalidUnicodeEscape(at: start)
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80:
            scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Steps over one multi-byte UTF-8 sequence, enforcing the well-formed
    /// byte ranges of Unicode Table 3-7.
    @inline(__always)
    private mutating func skipUTF8Sequence() throws(JSONParseError) {
        let lead = base[pos]
        let length: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF:
            length = 2
        case 0xE0:
            length = 3
            secondLow = 0xA0  // below is overlong
        case 0xE1...0xEC, 0xEE...0xEF:
            length = 3
        case 0xED:
            length = 3
            secondHigh = 0x9F  // above encodes a UTF-16 surrogate
        case 0xF0:
            length = 4
            secondLow = 0x90  // below is overlong
        case 0xF1...0xF3:
            length = 4
        case 0xF4:
            length = 4
            secondHigh = 0x8F  // above is beyond U+10FFFF
        default:
            throw invalidUTF8()
        }
        guard end - pos >= length else { throw invalidUTF8() }
        let second = base[pos + 1]
        guard second >= secondLow, second <= secondHigh else { throw invalidUTF8() }
        var index = pos + 2
        while index < pos + length {
            guard base[index] & 0xC0 == 0x80 else { throw invalidUTF8() }
            index += 1
        }
        pos += length
    }

    private func invalidUTF8() -> JSONParseError {
        JSONParseError(message: "invalid UTF-8 at byte \(pos)", offset: pos)
    }

    private func controlCharacter(_ byte: UInt8) -> JSONParseError {
        JSONParseError(
            message: "unescaped control character \(JSONScanner.hex(byte)) in string at byte \(pos)",
            offset: pos
        )
    }

    private func unterminatedString(_ openingQuote: Int) -> JSONParseError {
        JSONParseError(
            message: "unexpected end of input at byte \(pos) in string starting at byte \(openingQuote)",
            offset: pos
        )
    }

    private func invalidUnicodeEscape(at offset: Int) -> JSONParseError {
        JSONParseError(message: "invalid \\u escape at byte \(offset), expected four hex digits", offset: offset)
    }

    private func unpairedSurrogate(_ unit: UInt16, at offset: Int) -> JSONParseError {
        let digits = String(unit, radix: 16, uppercase: true)
        return JSONParseError(message: "unpaired UTF-16 surrogate \\u\(digits) at byte \(offset)", offset: offset)
    }
}
