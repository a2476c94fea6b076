import LMDB

extension StoreVerifier {
    /// Each `source:NAME` meta entry must name a valid source and hold a position of at
    /// least 1 (a position is stored only by the write that raised it).
    mutating func checkSources<Transaction: TransactionReading & ~Copyable>(in transaction: borrowing Transaction) throws {
        let prefixCount = Schema.MetaKey.sourcePrefix.count
        for entry in try store.sourcePositions(in: transaction) {
            let nameBytes = Array(entry.key[prefixCount...])
            let name = String(validating: nameBytes, as: UTF8.self)
            let subject = "source " + (name ?? Self.hex(nameBytes))
            if name == nil || nameBytes.isEmpty || nameBytes.count > store.limits.maxNameBytes {
                add(.meta, subject, expected: "a name of 1...\(store.limits.maxNameBytes) UTF-8 bytes", found: "\(nameBytes.count) bytes")
            }
            if entry.value.count != 8 {
                add(.meta, subject, expected: "an 8-byte position", found: "\(entry.value.count) bytes")
            } else if entry.value.allSatisfy({ $0 == 0 }) {
                add(.meta, subject, expected: "a position of at least 1", found: "0")
            }
        }
    }
}
