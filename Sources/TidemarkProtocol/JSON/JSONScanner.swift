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
    struct Frame {
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
        // Sized so a typical request line never needs the heap for bookkeeping.
        try withUnsafeTemporaryAllocation(of: JSONValue.self, capacity: 32) { valueStorage throws(JSONParseError) in
            try withUnsafeTemporaryAllocation(of: Frame.self, capacity: 16) { frameStorage throws(JSONParseError) in
                var values = JSONParserStack(initialStorage: valueStorage)
                var frames = JSONParserStack(initialStorage: frameStorage)
                return try parseDocument(values: &values, frames: &frames)
            }
        }
    }

    private mutating func parseDocument(
        values: inout JSONParserStack<JSONValue>,
        frames: inout JSONParserStack<Frame>
    ) throws(JSONParseError) -> JSONValue {
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
                    values.push(.object(JSONObject()))
                } else {
                    frames.push(Frame(isObject: true, start: values.count))
                    try parseMemberName(into: &values, objectStart: values.count, depth: frames.count, keySets: &keySets)
                    continue parsing
                }
            case UInt8(ascii: "["):
                try checkDepth(frames.count + 1)
                pos += 1
                skipWhitespace()
                if pos < end, base[pos] == UInt8(ascii: "]") {
                    pos += 1
                    values.push(.array([]))
                } else {
                    frames.push(Frame(isObject: false, start: values.count))
                    continue parsing
                }
            case UInt8(ascii: "\""):
                values.push(.string(try parseString()))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                values.push(try parseNumber())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                values.push(.bool(true))
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                values.push(.bool(false))
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                values.push(.null)
            default:
                throw invalidValueStart()
            }

            // A value is complete: close every container it completes, or
            // step past a comma to the next value.
            while frames.count > 0 {
                let frame = frames.last
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
                    values.push(.object(values.popObject(from: frame.start)))
                    if !keySets.isEmpty {
                        keySets[frames.count] = nil
                    }
                } else if !frame.isObject, byte == UInt8(ascii: "]") {
                    pos += 1
                    values.push(.array(values.popArray(from: frame.start)))
                } else {
                    throw unexpected(expecting: frame.isObject ? "',' or '}'" : "',' or ']'")
                }
                frames.popLast()
            }

            skipWhitespace()
            guard pos == end else {
                if let comment = commentError() { throw comment }
                throw JSONParseError(
                    message: "trailing data after JSON value: unexpected \(describeByte(base[pos])) at byte \(pos)",
                    offset: pos
                )
            }
            return values.popLast()
        }
    }

    /// Reads `"key" :` onto the value stack and leaves `pos` at the member's value.
    private mutating func parseMemberName(
        into values: inout JSONParserStack<JSONValue>,
        objectStart: Int,
        depth: Int,
        keySets: inout [Int: Set<ExactKey>]
    ) throws(JSONParseError) {
        guard pos < end, base[pos] == UInt8(ascii: "\"") else {
            throw unexpected(expecting: "a string key")
        }
        let keyOffset = pos
        let key = try parseString()
        // Checking `isEmpty` first skips hashing `depth` in the common case.
        if !keySets.isEmpty, keySets[depth] != nil {
            if !keySets[depth]!.insert(ExactKey(key: key)).inserted {
                throw duplicateKey(key, at: keyOffset)
            }
        } else {
            var index = objectStart
            while index < values.count {
                if JSONObject.exactlyEqual(values.key(at: index), key) {
                    throw duplicateKey(key, at: keyOffset)
                }
                index += 2
            }
            if (values.count - objectStart) / 2 + 1 >= Self.hashedKeyThreshold {
                var seen = Set<ExactKey>(minimumCapacity: 2 * Self.hashedKeyThreshold)
                seen.insert(ExactKey(key: key))
                index = objectStart
                while index < values.count {
                    seen.insert(ExactKey(key: values.key(at: index)))
                    index += 2
                }
                keySets[depth] = seen
            }
        }
        values.push(.string(key))
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
