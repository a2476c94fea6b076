/// One record in the journal, as written: `length` (UInt32, the payload's bytes), `lsn`
/// (UInt64), `checksum` (UInt32: CRC-32C of length, LSN and payload), then the payload;
/// all little-endian. A zero length never starts a frame, so the zero-filled rest of a
/// preallocated segment reads as its end.
public struct JournalFrame: Hashable, Sendable {
    public var lsn: UInt64
    public var payload: [UInt8]

    public init(lsn: UInt64, payload: [UInt8]) {
        self.lsn = lsn
        self.payload = payload
    }

    public static let headerSize = 16
    /// The largest payload a frame holds (a compaction of millions of records is one
    /// transaction). A reader never allocates more than the segment it reads, so a corrupt
    /// length cannot make it allocate this much.
    public static let maxPayload = 1 << 30

    /// The frame's bytes. The payload must not be empty (a zero length marks the end).
    public var encoded: [UInt8] {
        precondition(!payload.isEmpty && payload.count <= Self.maxPayload, "a journal frame holds 1 to maxPayload bytes")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + payload.count)
        Self.append(UInt32(payload.count), to: &bytes)
        Self.append(lsn, to: &bytes)
        let checksum = CRC32C.checksum(payload, continuing: CRC32C.checksum(bytes))
        Self.append(checksum, to: &bytes)
        bytes += payload
        return bytes
    }

    /// What a read at the start of `bytes` finds.
    public enum Decoded: Hashable, Sendable {
        case frame(JournalFrame, size: Int)
        /// Zeros where a header would be: the journal's end.
        case end
        /// A header or payload that does not check out, or runs past `bytes`: a torn
        /// tail, never acknowledged.
        case torn
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) -> Decoded {
        guard bytes.count >= headerSize else {
            return bytes.allSatisfy { $0 == 0 } ? .end : .torn
        }
        let start = bytes.startIndex
        let length = Int(read(UInt32.self, bytes, at: start))
        if length == 0 {
            return bytes[start..<start + headerSize].allSatisfy { $0 == 0 } ? .end : .torn
        }
        guard length <= maxPayload, bytes.count - headerSize >= length else { return .torn }
        let lsn = read(UInt64.self, bytes, at: start + 4)
        let stored = read(UInt32.self, bytes, at: start + 12)
        let payload = bytes[start + headerSize..<start + headerSize + length]
        let computed = CRC32C.checksum(payload, continuing: CRC32C.checksum(bytes[start..<start + 12]))
        guard computed == stored else { return .torn }
        return .frame(JournalFrame(lsn: lsn, payload: Array(payload)), size: headerSize + length)
    }

    private static func append<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func read<Integer: FixedWidthInteger>(_: Integer.Type, _ bytes: ArraySlice<UInt8>, at offset: Int) -> Integer {
        var value: Integer = 0
        for index in 0..<MemoryLayout<Integer>.size { value |= Integer(bytes[offset + index]) << (8 * index) }
        return value
    }
}
