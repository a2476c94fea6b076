/// The byte-level engine behind `JSONParser`, working directly on the
/// caller's buffer so the only allocations are the values themselves.
///
/// Containers are parsed without recursion: finished values (and object
/// keys, as `.string`s interleaved with their values) wait on one value stack
/// until their container closes, and `frames` records where each open
/// container's items begin.
struct JSONScanner {
    let base: UnsafePointer<UInt8>
    let end: Int
    let maxDepth: Int
    var pos = 0
    /// Reused across strings so unescaping allocates at most once per document.
    var scratch: [UInt8] = []

    /// Past this many members an object's duplicate-key check switches from a
    /// linear scan to a hash set, keeping hostile wide objects linear overall.
    private static let hashedKeyThreshold = 16

    /// Kept trivial (no references) so pushing and peeking cost no refcounting.
    private struct Frame {
        var isObject: Bool
        var start: Int
    }

    /// Hashes like `String` but compares code points exactly, matching `JSONObject`'s key semantics.
    private struct ExactKey: Hashable {
        var key: String

        static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
            JSONObject.exactlyEqual(lhs.key, rhs.key)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(key)
        }
    }

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        // An empty buffer may have no address; any non-null pointer will do
        // because `end == 0` means it is never read.
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        end = bytes.count
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // Sized so a typical request line never regrows them.
        var values: [JSONValue] = []
        values.reserveCapacity(32)
        var frames: [Frame] = []
        frames.reserveCapacity(8)
        // Duplicate-key sets for wide objects only, keyed by frame depth.
        var keySets: [Int: Set<ExactKey>] = [:]

        skipWhitespace()
        parsing: while true {
            // Invariant: whitespace is skipped and a value must start at `pos`.
            guard pos < end else { throw unexpected(expecting: "a value") }
            switch base[pos] {
            case UInt8(ascii: "{"):
                try checkDepth(frames.count + 1)
                pos += 1
                skipWhitespace()
                if pos < end, base[pos] == UInt8(ascii: "}") {
                    pos += 1
                    values.append(.object(JSONObject()))
                } else {
                    frames.append(Frame(isObject: true, start: values.count))
                    try parseMemberName(into: &values, objectStart: values.count, depth: frames.count, keySets: &keySets)
                    continue parsing
                }
            case UInt8(ascii: "["):
                try checkDepth(frames.count + 1)
                pos += 1
                skipWhitespace()
                if pos < end, base[pos] == UInt8(ascii: "]") {
                    pos += 1
                    values.append(.array([]))
                } else {
                    frames.append(Frame(isObject: false, start: values.count))
                    continue parsing
                }
            case UInt8(ascii: "\""):
                values.append(.string(try parseString()))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                values.append(try parseNumber())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                values.append(.bool(true))
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                values.append(.bool(false))
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                values.append(.null)
            default:
                throw invalidValueStart()
            }

            // A value is complete: close every container it completes, or
            // step past a comma to the next value.
            while let frame = frames.last {
                skipWhitespace()
                guard pos < end else {
                    throw unexpected(expecting: frame.isObject ? "',' or '}'" : "',' or ']'")
                }
                let byte = base[pos]
                if byte == UInt8(ascii: ",") {
                    let comma = pos
                    pos += 1
                    skipWhitespace()
                    if frame.isObject {
                        if pos < end, base[pos] == UInt8(ascii: "}") {
                            throw JSONParseError(message: "trailing comma in object at byte \(comma)", offset: comma)
                        }
                        try parseMemberName(into: &values, objectStart: frame.start, depth: frames.count, keySets: &keySets)
                    } else if pos < end, base[pos] == UInt8(ascii: "]") {
                        throw JSONParseError(message: "trailing comma in array at byte \(comma)", offset: comma)
                    }
                    continue parsing
                }
                if frame.isObject, byte == UInt8(ascii: "}") {
                    pos += 1
                    var members: [JSONObject.Element] = []
                    members.reserveCapacity((values.count - frame.start) / 2)
                    var index = frame.start
                    while index < values.count {
                        guard case .string(let key) = values[index] else { preconditionFailure("object key is not a string") }
                        members.append((key: key, value: values[index + 1]))
                        index += 2
                    }
                    values.removeSubrange(frame.start...)
                    values.append(.object(JSONObject(uncheckedMembers: members)))
                    if !keySets.isEmpty {
                        keySets[frames.count] = nil
                    }
                } else if !frame.isObject, byte == UInt8(ascii: "]") {
                    pos += 1
                    let elements = Array(values[frame.start...])
                    values.removeSubrange(frame.start...)
                    values.append(.array(elements))
                } else {
                    throw unexpected(expecting: frame.isObject ? "',' or '}'" : "',' or ']'")
                }
                frames.removeLast()
            }

            skipWhitespace()
            guard pos == end else {
                if let comment = commentError() { throw comment }
                throw JSONParseError(
                    message: "trailing data after JSON value: unexpected \(describeByte(base[pos])) at byte \(pos)",
                    offset: pos
                )
            }
            return values[0]
        }
    }

    /// Reads `"key" :` onto the value stack and leaves `pos` at the member's value.
    private mutating func parseMemberName(
        into values: inout [JSONValue],
        objectStart: Int,
        depth: Int,
        keySets: inout [Int: Set<ExactKey>]
    ) throws(JSONParseError) {
        guard pos < end, base[pos] == UInt8(ascii: "\"") else {
            throw unexpected(expecting: "a string key")
        }
        let keyOffset = pos
        let key = try parseString()
        if keySets[depth] != nil {
            if !keySets[depth]!.insert(ExactKey(key: key)).inserted {
                throw duplicateKey(key, at: keyOffset)
            }
        } else {
            var index = objectStart
            while index < values.count {
                if case .string(let existing) = values[index], JSONObject.exactlyEqual(existing, key) {
                    throw duplicateKey(key, at: keyOffset)
                }
                index += 2
            }
            if (values.count - objectStart) / 2 + 1 >= Self.hashedKeyThreshold {
                var seen = Set<ExactKey>(minimumCapacity: 2 * Self.hashedKeyThreshold)
                seen.insert(ExactKey(key: key))
                index = objectStart
                while index < values.count {
                    if case .string(let existing) = values[index] {
                        seen.insert(ExactKey(key: existing))
                    }
                    index += 2
                }
                keySets[depth] = seen
            }
        }
        values.append(.string(key))
        skipWhitespace()
        guard pos < end, base[pos] == UInt8(ascii: ":") else {
            throw unexpected(expecting: "':'")
        }
        pos += 1
        skipWhitespace()
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            switch base[pos] {
            case 0x20, 0x0A, 0x0D, 0x09:
                pos += 1
            default:
                return
            }
        }
    }

    private func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth > maxDepth {
            throw JSONParseError(message: "nesting deeper than \(maxDepth) levels at byte \(pos)", offset: pos)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        guard end - pos >= count else {
            throw invalidLiteral(literal)
        }
        for index in 0..<count where base[pos + index] != expected[index] {
            throw invalidLiteral(literal)
        }
        pos += count
    }
}

// MARK: - Error construction (kept off the hot paths)

extension JSONScanner {
    func unexpected(expecting expected: String) -> JSONParseError {
        guard pos < end else {
            return JSONParseError(message: "unexpected end of input at byte \(pos), expected \(expected)", offset: pos)
        }
        if let comment = commentError() { return comment }
        return JSONParseError(
            message: "unexpected \(describeByte(base[pos])) at byte \(pos), expected \(expected)",
            offset: pos
        )
    }

    /// Names the common non-JSON spellings people try, rather than just the first odd byte.
    private func invalidValueStart() -> JSONParseError {
        if startsWith("NaN") {
            return JSONParseError(message: "NaN is not valid JSON at byte \(pos)", offset: pos)
        }
        if startsWith("Infinity") {
            return JSONParseError(message: "Infinity is not valid JSON at byte \(pos)", offset: pos)
        }
        return unexpected(expecting: "a value")
    }

    func commentError() -> JSONParseError? {
        guard pos + 1 < end, base[pos] == UInt8(ascii: "/"),
              base[pos + 1] == UInt8(ascii: "/") || base[pos + 1] == UInt8(ascii: "*")
        else { return nil }
        return JSONParseError(message: "comments are not allowed in JSON at byte \(pos)", offset: pos)
    }

    private func invalidLiteral(_ literal: StaticString) -> JSONParseError {
        JSONParseError(message: "invalid literal at byte \(pos), expected '\(literal)'", offset: pos)
    }

    private func duplicateKey(_ key: String, at offset: Int) -> JSONParseError {
        var quoted = JSONWriter.string(.string(key))
        if quoted.utf8.count > 80 {
            quoted = String(quoted.prefix(60)) + "…\""
        }
        return JSONParseError(message: "duplicate object key \(quoted) at byte \(offset)", offset: offset)
    }

    func startsWith(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard end - pos >= count else { return false }
        for index in 0..<count where base[pos + index] != text.utf8Start[index] {
            return false
        }
        return true
    }

    func describeByte(_ byte: UInt8) -> String {
        if byte > 0x20, byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte \(Self.hex(byte))"
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0x0" + digits : "0x" + digits
    }
}
