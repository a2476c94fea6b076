import NIOCore

/// Strict RFC 8259 parser.
///
/// Everything RFC 8259 leaves to implementations is decided on the strict
/// side: duplicate keys, invalid UTF-8 and unpaired surrogate escapes are
/// errors, because clients must not be able to send text that different JSON
/// libraries would read differently.
///
/// Nesting is tracked on heap stacks rather than the call stack, so hostile
/// input cannot overflow the stack whatever `maxDepth` is set to.
public enum JSONParser {
    public static let defaultMaxDepth = 64

    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        return try scanner.parseDocument()
    }

    public static func parse(
        _ bytes: some Collection<UInt8>,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in
                try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth)
            }
        }
        if let contiguous {
            return try contiguous.get()
        }
        return try parse(Array(bytes), maxDepth: maxDepth)
    }

    /// Parses the readable bytes without consuming them.
    public static func parse(
        _ buffer: ByteBuffer,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) in
                try parse(bytes, maxDepth: maxDepth)
            }
        }
        return try result.get()
    }

    public static func parse(
        _ text: String,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in
                try parse(UnsafeRawBufferPointer(buffer), maxDepth: maxDepth)
            }
        }
        return try result.get()
    }
}
