/// Reads what `ByteWriter` wrote; every read is bounds-checked, so a corrupted value
/// becomes a `StoreError.corrupted` instead of a crash.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func readByte() throws(StoreError) -> UInt8 {
        guard offset < bytes.count else { throw Self.truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readVarint() throws(StoreError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            guard shift < 64 else { throw StoreError(.corrupted, "varint longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func readBigEndian() throws(StoreError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw Self.truncated }
        var value: UInt64 = 0
        for index in offset..<offset + 8 { value = value << 8 | UInt64(bytes[index]) }
        offset += 8
        return value
    }

    mutating func readBytes() throws(StoreError) -> [UInt8] {
        let count = try readCount()
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func readString() throws(StoreError) -> String {
        let count = try readCount()
        defer { offset += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]), as: UTF8.self)
    }

    /// A length prefix, checked against what is left so a corrupted one cannot overrun.
    mutating func readCount() throws(StoreError) -> Int {
        let count = try readVarint()
        guard count <= UInt64(bytes.count - offset) else { throw Self.truncated }
        return Int(count)
    }

    static func bigEndian(_ bytes: UnsafeRawBufferPointer) throws(StoreError) -> UInt64 {
        var reader = ByteReader(bytes)
        return try reader.readBigEndian()
    }

    private static let truncated = StoreError(.corrupted, "stored value ends early")
}
