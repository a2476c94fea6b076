import TidemarkStore

extension EtcdVersions {
    /// §7.14 on etcd: raises the oldest LSN to `min(before, lsn + 1)` (never lowers it) in
    /// a Txn that puts the head, then deletes the records below it. Versions, intents,
    /// closed states and names are untouched. A compaction cut short (a crash, etcd gone)
    /// leaves records below `oldest` that no read returns; the next one deletes them.
    ///
    /// etcd keeps deleted keys in its history until etcd itself compacts it (the cluster's
    /// `--auto-compaction-retention`), so the space comes back then.
    public func compact(before: LSN) async throws(EtcdError) -> LSN {
        let head = try await headRevision()
        let target = min(before, LSN(head) + 1)
        var oldest: LSN
        while true {
            let stored = try await client.range(EtcdRangeRequest(key: layout.oldest)).kvs.first
            oldest = stored.flatMap { Self.decodePosition($0.value) } ?? 1
            guard target > oldest else { break }
            let answer = try await client.transaction(
                EtcdTransaction(
                    compare: [EtcdComparison(key: layout.oldest, .equal, .modRevision(stored?.modRevision ?? 0))],
                    success: [.put(key: layout.oldest, value: Self.encodePosition(target)), .put(key: layout.head, value: [])]),
                idempotent: true)
            if answer.succeeded {
                oldest = target
                break
            }
            // Another compaction moved it first: read it again.
        }
        try await deleteRecords(below: oldest)
        return oldest
    }

    /// The oldest LSN the log keeps, as of a linearizable read.
    public func oldest() async throws(EtcdError) -> LSN {
        try await read(.linearizable) { $0.oldest }
    }

    /// The oldest LSN the mirror knows of now.
    public var knownOldest: LSN {
        mirror.readCurrent { $0.oldest }
    }

    private func deleteRecords(below oldest: LSN) async throws(EtcdError) {
        guard oldest > 1 else { return }
        while true {
            let page = try await client.range(
                EtcdRangeRequest(
                    key: layout.records, rangeEnd: EtcdKeys.prefixEnd(layout.records),
                    limit: Int64(Self.maxTransactionOperations), keysOnly: true, maxModRevision: Int64(oldest) - 1))
            guard !page.kvs.isEmpty else { return }
            _ = try await client.transaction(
                EtcdTransaction(success: page.kvs.map { .delete(key: $0.key) }), idempotent: true)
        }
    }

    static func encodePosition(_ position: UInt64) -> [UInt8] {
        withUnsafeBytes(of: position.bigEndian) { Array($0) }
    }

    /// An 8-byte big-endian position; nil for any other length.
    static func decodePosition(_ bytes: [UInt8]) -> UInt64? {
        bytes.count == 8 ? bytes.reduce(0) { $0 << 8 | UInt64($1) } : nil
    }
}
