import NIOCore

/// Compact serializer: no whitespace, members in stored order, `/` and
/// non-ASCII left as-is (the wire is UTF-8), only what RFC 8259 requires escaped.
public enum JSONWriter {
    /// Appends at the buffer's writer index.
    public static func write(_ value: JSONValue, into buffer: inout ByteBuffer) {
        JSONByteSink.serialize(value) { bytes in
            buffer.writeBytes(bytes)
        }
    }

    /// Appends to `bytes`.
    public static func write(_ value: JSONValue, into bytes: inout [UInt8]) {
        JSONByteSink.serialize(value) { serialized in
            bytes.append(contentsOf: serialized)
        }
    }

    public static func bytes(_ value: JSONValue) -> [UInt8] {
        JSONByteSink.serialize(value) { Array($0) }
    }

    public static func string(_ value: JSONValue) -> String {
        JSONByteSink.serialize(value) { String(decoding: $0, as: UTF8.self) }
    }
}
