import LMDB

/// Source positions: the highest position recorded per external stream, kept in the meta
/// database under `source:NAME`, written in the same transaction as the record it
/// belongs to. That one transaction is what makes a replayed write recognisable after a
/// crash of either side: either both the record and the position are durable, or neither.
extension LMDBStore {
    public func sourcePosition(_ name: String) throws(StoreError) -> UInt64 {
        try limits.validate(name: name, field: "name")
        return try guarded("cannot read a source position") {
            try environment.read { try sourcePosition(name, in: $0) }
        }
    }

    func sourcePosition<Transaction: TransactionReading & ~Copyable>(
        _ name: String, in transaction: borrowing Transaction
    ) throws -> UInt64 {
        try transaction.withValue(in: schema.meta, forKey: Schema.sourceKey(name)) { try ByteReader.bigEndian($0) } ?? 0
    }

    /// A `write` that only happens if `source.position` is above the recorded one.
    func sourcedWrite(
        changes: [Change], meta: [UInt8]?, source: SourcePosition, request: MutationRequest,
        state: inout BatchState, in transaction: borrowing WriteTransaction
    ) throws -> MutationOutcome {
        try limits.validate(changes, field: "changes")
        try limits.validate(source)
        let recorded = try sourcePosition(source.name, in: transaction)
        guard source.position > recorded else {
            return .duplicate(lsn: state.lsn, position: recorded)
        }
        if let after = source.after, after != recorded {
            throw StoreError.outOfOrder(source, recorded: recorded)
        }
        let record = Record(
            lsn: state.nextLSN(), time: state.now, kind: .write, changes: changes, meta: meta, peer: request.peer)
        let invalidated = try append(record, state: &state, in: transaction)
        try transaction.put(ByteWriter.bigEndian(source.position), forKey: Schema.sourceKey(source.name), in: schema.meta)
        return .written(lsn: record.lsn, invalidated: invalidated)
    }

    /// Every recorded source and its position, for `verify`.
    func sourcePositions<Transaction: TransactionReading & ~Copyable>(
        in transaction: borrowing Transaction
    ) throws -> [(key: [UInt8], value: [UInt8])] {
        let prefix = Schema.MetaKey.sourcePrefix
        return try transaction.withCursor(on: schema.meta) { cursor in
            var entries: [(key: [UInt8], value: [UInt8])] = []
            var entry = try cursor.seek(atLeast: prefix)
            while let current = entry, current.keyBytes.starts(with: prefix) {
                entries.append((current.keyBytes, current.valueBytes))
                entry = try cursor.next()
            }
            return entries
        }
    }
}
