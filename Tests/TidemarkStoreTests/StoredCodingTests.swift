import Testing
@testable import TidemarkStore
import TidemarkTestSupport

@Suite("Stored coding")
struct StoredCodingTests {
    static let records: [Record] = [
        Record(lsn: 1, time: 0, kind: .write, changes: [Change(table: "t")], peer: Peer(pid: 0, uid: 0, gid: 0)),
        Record(
            lsn: .max, time: .max, kind: .expire,
            changes: [Change(table: "ünï", keys: ["a", "", "キー"]), Change(table: "w"), Change(table: "x", keys: ["y"])],
            intent: "0123456789abcdef0123456789abcdef", meta: Array(#"{"a":[1,{"b":null}]}"#.utf8),
            peer: Peer(pid: -1, uid: .max, gid: .max)),
        Record(
            lsn: 300, time: 1_700_000_000_123, kind: .begin, changes: [], intent: "", meta: [],
            peer: Peer(pid: .min, uid: 1, gid: 2)),
        Record(
            lsn: 7, time: 128, kind: .commit,
            changes: [Change(table: String(repeating: "t", count: 128), keys: (0..<50).map { "key-\($0)" })],
            intent: "i", meta: [UInt8](0...255), peer: Peer(pid: .max, uid: 0, gid: 0)),
        Record(lsn: 8, time: 127, kind: .abort, changes: [Change(table: "a", keys: ["a\u{0}b"])], peer: Peer(pid: 1, uid: 2, gid: 3)),
    ]

    /// Runs `body` over `bytes`. (A closure with a typed throw passed straight to
    /// `withUnsafeBytes` crashes the 6.3 compiler, hence the detour through `Result`.)
    private func withBytes<T>(
        _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(StoreError) -> T
    ) throws(StoreError) -> T {
        var result: Result<T, StoreError>?
        bytes.withUnsafeBytes { buffer in
            do throws(StoreError) {
                result = .success(try body(buffer))
            } catch {
                result = .failure(error)
            }
        }
        return try result!.get()
    }

    private func decodeRecord(_ bytes: [UInt8], lsn: LSN) throws(StoreError) -> Record {
        try withBytes(bytes) { buffer throws(StoreError) in try StoredCoding.decodeRecord(lsn: lsn, buffer) }
    }

    @Test(arguments: records)
    func recordsRoundTrip(record: Record) throws {
        let bytes = StoredCoding.encode(record)
        #expect(bytes.first == 1, "the format byte")
        #expect(try decodeRecord(bytes, lsn: record.lsn) == record)
    }

    @Test func theLSNComesFromTheKeyNotTheValue() throws {
        let record = Self.records[0]
        #expect(try decodeRecord(StoredCoding.encode(record), lsn: 99).lsn == 99)
    }

    @Test func everyRecordKindRoundTrips() throws {
        for kind in RecordKind.allCases {
            let record = Record(lsn: 1, time: 2, kind: kind, changes: [Change(table: "t")], peer: alice)
            #expect(try decodeRecord(StoredCoding.encode(record), lsn: 1).kind == kind)
        }
    }

    @Test func wideAndKeyedChangesKeepTheirForm() throws {
        let record = Record(
            lsn: 1, time: 2, kind: .write,
            changes: [Change(table: "a", keys: []), Change(table: "b", keys: nil), Change(table: "c", keys: ["k"])],
            peer: alice)
        let decoded = try decodeRecord(StoredCoding.encode(record), lsn: 1)
        #expect(decoded.changes.map(\.isWide) == [true, true, false])
        #expect(decoded.changes[2].keys == ["k"])
    }

    @Test(arguments: IntentState.allCases)
    func intentsRoundTrip(state: IntentState) throws {
        let intent = Intent(
            id: "abc", state: state, changes: [Change(table: "t", keys: ["a"]), Change(table: "u")],
            meta: state == .open ? nil : Array("m".utf8), peer: Peer(pid: -7, uid: 8, gid: 9),
            beginLSN: 12_345, expiresAt: .max, closedAt: 1_700_000_000_000)
        let bytes = StoredCoding.encode(intent)
        let decoded = try withBytes(bytes) { buffer throws(StoreError) in
            try StoredCoding.decodeIntent(id: "abc", buffer)
        }
        #expect(decoded == intent)
    }

    @Test func namedEntriesRoundTrip() throws {
        let entry = NamedEntry(
            name: "page",
            stamp: Stamp(epoch: Epoch(high: .max, low: 1), lsn: 77),
            deps: [Dep(table: "t"), Dep(table: "t", key: "a"), Dep(table: "u", key: "")],
            expiresAt: 42)
        let decoded = try withBytes(StoredCoding.encode(entry)) { buffer throws(StoreError) in
            try StoredCoding.decodeNamedEntry(name: "page", buffer)
        }
        #expect(decoded == entry)
    }

    @Test func everyTruncationIsReportedAsCorrupted() throws {
        for record in Self.records {
            let bytes = StoredCoding.encode(record)
            for length in 0..<bytes.count {
                let error = #expect(throws: StoreError.self) {
                    _ = try decodeRecord(Array(bytes[0..<length]), lsn: 1)
                }
                #expect(error?.code == .corrupted)
            }
        }
    }

    @Test func unknownFormatKindAndFlagsAreCorrupted() throws {
        let bytes = StoredCoding.encode(Self.records[1])
        var wrongVersion = bytes
        wrongVersion[0] = 2
        var wrongKind = bytes
        wrongKind[1] = UInt8(RecordKind.allCases.count)
        for damaged in [wrongVersion, wrongKind, [1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]] {
            let error = #expect(throws: StoreError.self) { _ = try decodeRecord(damaged, lsn: 1) }
            #expect(error?.code == .corrupted)
        }
    }

    @Test func randomDamageNeverCrashes() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        for _ in 0..<3_000 {
            var bytes = StoredCoding.encode(Self.records.randomElement(using: &generator)!)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                _ = try decodeRecord(bytes, lsn: 1)
            } catch {
                #expect(error.code == .corrupted)
            }
        }
    }

    @Test func varintsAndBigEndianRoundTrip() throws {
        let values: [UInt64] = [0, 1, 127, 128, 255, 300, 16_383, 16_384, 1 << 35, .max - 1, .max]
        var writer = ByteWriter()
        for value in values {
            writer.writeVarint(value)
            writer.writeBigEndian(value)
        }
        writer.writeString("ünï")
        writer.writeBytes([1, 2, 3])
        let decoded = try withBytes(writer.bytes) { buffer throws(StoreError) in
            var reader = ByteReader(buffer)
            var numbers: [UInt64] = []
            for _ in values {
                numbers.append(try reader.readVarint())
                numbers.append(try reader.readBigEndian())
            }
            return (numbers, try reader.readString(), try reader.readBytes(), reader.isAtEnd)
        }
        #expect(decoded.0 == values.flatMap { [$0, $0] })
        #expect(decoded.1 == "ünï")
        #expect(decoded.2 == [1, 2, 3])
        #expect(decoded.3)
        #expect(ByteWriter.bigEndian(0x0102_0304_0506_0708) == [1, 2, 3, 4, 5, 6, 7, 8])
        // Big-endian keys sort numerically.
        #expect(ByteWriter.bigEndian(255).lexicographicallyPrecedes(ByteWriter.bigEndian(256)))
    }

    @Test func aLengthPrefixBeyondTheBufferIsCorrupted() throws {
        var writer = ByteWriter()
        writer.writeVarint(1_000)
        writer.writeRaw([1, 2, 3])
        let error = #expect(throws: StoreError.self) {
            try withBytes(writer.bytes) { buffer throws(StoreError) in
                var reader = ByteReader(buffer)
                return try reader.readBytes()
            }
        }
        #expect(error?.code == .corrupted)
    }
}
