import LMDB

extension Schema {
    /// The epoch of an existing store, or nil for one that has none yet (being created).
    /// Refuses a format version this build does not know: its keys and values could mean
    /// something else, and a reader that guessed could answer "valid" wrongly.
    func storedEpoch<Transaction: TransactionReading & ~Copyable>(
        in transaction: borrowing Transaction
    ) throws -> Epoch? {
        guard let bytes = try transaction.value(in: meta, forKey: MetaKey.epoch) else { return nil }
        let format = try transaction.withValue(in: meta, forKey: MetaKey.format) { try ByteReader.bigEndian($0) }
        guard format == Self.formatVersion else {
            throw StoreError(
                .unsupportedFormat,
                "the data file has format version \(format.map(String.init) ?? "(none)"); this build reads version \(Self.formatVersion)")
        }
        guard bytes.count == 16 else { throw StoreError(.corrupted, "the stored epoch has \(bytes.count) bytes") }
        let word = { (range: Range<Int>) in bytes[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        return Epoch(high: word(0..<8), low: word(8..<16))
    }

    /// The journal sequence of the last transaction the data file holds, 0 if none.
    func journalSequence<Transaction: TransactionReading & ~Copyable>(
        in transaction: borrowing Transaction
    ) throws -> UInt64 {
        try transaction.withValue(in: meta, forKey: MetaKey.journal) { try ByteReader.bigEndian($0) } ?? 0
    }
}
