/// What a journaled write transaction changed, as the operations that redo it: what a
/// write-ahead log stores so that recovery can replay the transaction into a data file
/// that lost it. Databases are named by their handle numbers, which LMDB hands out in
/// the order an environment opens them, so a replay must open the same databases in the
/// same order first.
///
/// Each operation is a kind byte, the database (UInt32), the key's length (UInt32) and
/// the key, then for a put or a pair delete the value's length (UInt32) and the value;
/// integers little-endian.
public final class ChangeSet {
    public private(set) var bytes: [UInt8] = []

    enum Operation: UInt8 {
        case put = 1
        /// Every value of the key (in a duplicate-sorted database, all of them).
        case deleteKey = 2
        /// One key/value pair; in a database without duplicates the value is ignored.
        case deletePair = 3
    }

    public init() {}

    public var isEmpty: Bool { bytes.isEmpty }

    func record(_ operation: Operation, _ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) {
        bytes.append(operation.rawValue)
        append(UInt32(database.dbi))
        append(UInt32(key.count))
        bytes.append(contentsOf: key)
        if let value {
            append(UInt32(value.count))
            bytes.append(contentsOf: value)
        }
    }

    private func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads back what a `ChangeSet` recorded.
struct ChangeSetReader {
    private let bytes: [UInt8]
    private var offset = 0

    struct Entry {
        var operation: ChangeSet.Operation
        var database: UInt32
        var key: Range<Int>
        var value: Range<Int>?
    }

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The next operation, nil at the end; throws on bytes no `ChangeSet` wrote.
    mutating func next() throws(LMDBError) -> Entry? {
        guard offset < bytes.count else { return nil }
        guard let operation = ChangeSet.Operation(rawValue: bytes[offset]) else { throw Self.malformed }
        offset += 1
        let database = try readInteger()
        let key = try readRange()
        let value = operation == .deleteKey ? nil : try readRange()
        return Entry(operation: operation, database: database, key: key, value: value)
    }

    func withBytes<Result>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    private mutating func readInteger() throws(LMDBError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw Self.malformed }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * index) }
        offset += 4
        return value
    }

    private mutating func readRange() throws(LMDBError) -> Range<Int> {
        let count = Int(try readInteger())
        guard bytes.count - offset >= count else { throw Self.malformed }
        defer { offset += count }
        return offset..<offset + count
    }

    private static var malformed: LMDBError {
        LMDBError(code: .corrupted, returnCode: -30796, operation: "replay of a journaled transaction")
    }
}
