extension JSONScanner {
    /// Powers of ten that are exact as `Double`, for the fast path below.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses the number starting at `pos` (a '-' or a digit).
    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        let negative = base[pos] == UInt8(ascii: "-")
        if negative {
            pos += 1
        }
        guard pos < end, let first = digit(base[pos]) else {
            if startsWith("Infinity") {
                throw JSONParseError(message: "Infinity is not valid JSON at byte \(start)", offset: start)
            }
            throw unexpected(expecting: "a digit")
        }

        // All significant digits accumulate into one mantissa so that short
        // decimals can take the exact fast path.
        var mantissa = UInt64(first)
        var overflowed = false
        pos += 1
        if first == 0 {
            if pos < end, digit(base[pos]) != nil {
                throw JSONParseError(message: "leading zero in number at byte \(start)", offset: start)
            }
        } else {
            accumulateDigits(into: &mantissa, overflowed: &overflowed)
        }

        var isInteger = true
        var fractionDigits = 0
        if pos < end, base[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < end, digit(base[pos]) != nil else {
                throw unexpected(expecting: "a digit after the decimal point")
            }
            fractionDigits = accumulateDigits(into: &mantissa, overflowed: &overflowed)
        }

        var exponent = 0
        if pos < end, base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            var exponentNegative = false
            if pos < end, base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-") {
                exponentNegative = base[pos] == UInt8(ascii: "-")
                pos += 1
            }
            guard pos < end, digit(base[pos]) != nil else {
                throw unexpected(expecting: "a digit in the exponent")
            }
            while pos < end, let value = digit(base[pos]) {
                // Saturate: beyond this the value is 0 or infinite anyway, and
                // the slow path re-reads the exact text.
                if exponent < 100_000 {
                    exponent = exponent * 10 + Int(value)
                }
                pos += 1
            }
            if exponentNegative {
                exponent = -exponent
            }
        }

        if isInteger, !overflowed {
            if negative {
                if mantissa <= UInt64(Int64.max) {
                    return .integer(-Int64(mantissa))
                }
                if mantissa == UInt64(Int64.max) + 1 {
                    return .integer(.min)
                }
            } else {
                return JSONValue(mantissa)
            }
        }

        // Clinger's fast path: both operands are exact doubles, so the single
        // rounding of the multiply or divide gives the correctly rounded result.
        let scale = exponent - fractionDigits
        if !overflowed, mantissa <= 1 << 53, scale >= -22, scale <= 22 {
            var value = Double(mantissa)
            if scale < 0 {
                value /= Self.exactPowersOfTen[-scale]
            } else {
                value *= Self.exactPowersOfTen[scale]
            }
            return .double(negative ? -value : value)
        }

        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONParseError(message: "number out of range at byte \(start)", offset: start)
        }
        return .double(value)
    }

    @inline(__always)
    private func digit(_ byte: UInt8) -> UInt8? {
        let value = byte &- UInt8(ascii: "0")
        return value < 10 ? value : nil
    }

    /// Returns how many digits were consumed.
    @inline(__always) @discardableResult
    private mutating func accumulateDigits(into mantissa: inout UInt64, overflowed: inout Bool) -> Int {
        var digits = 0
        while pos < end, let value = digit(base[pos]) {
            if !overflowed {
                let (times10, overflow1) = mantissa.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(value))
                if overflow1 || overflow2 {
                    overflowed = true
                } else {
                    mantissa = sum
                }
            }
            digits += 1
            pos += 1
        }
        return digits
    }
}
