import Testing
import TidemarkJournal

@Suite struct JournalFrameTests {
    /// The check value every CRC-32C implementation gives for "123456789" (RFC 3720 B.4).
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        // Continuing over two halves is the checksum of the whole.
        let bytes = Array("journal frames".utf8)
        #expect(CRC32C.checksum(bytes[7...], continuing: CRC32C.checksum(bytes[..<7])) == CRC32C.checksum(bytes))
    }

    @Test func aFrameReadsBackAndAnyChangedByteIsCaught() {
        let frame = JournalFrame(lsn: 42, payload: Array("{\"changes\":[]}".utf8))
        let bytes = frame.encoded
        #expect(JournalFrame.decode(ArraySlice(bytes)) == .frame(frame, size: bytes.count))
        for index in bytes.indices {
            var corrupted = bytes
            corrupted[index] ^= 0x10
            #expect(JournalFrame.decode(ArraySlice(corrupted)) != .frame(frame, size: bytes.count), "byte \(index)")
        }
        // Cut anywhere, it is torn; zeros are the end.
        for cut in 1..<bytes.count {
            #expect(JournalFrame.decode(ArraySlice(bytes[..<cut])) == .torn, "cut at \(cut)")
        }
        #expect(JournalFrame.decode(ArraySlice([UInt8](repeating: 0, count: 64))) == .end)
        #expect(JournalFrame.decode([]) == .end)
    }
}
