import TidemarkStore

extension EtcdVersions {
    /// `stats`' store figures: counts from a linearizable state of the mirror, the records
    /// counted by etcd, and the answering member's database size.
    public func statistics(quotaBytes: Int) async throws(EtcdError) -> StoreStatistics {
        let counts = try await read(.linearizable) { snapshot in
            (
                lsn: LSN(snapshot.head), tables: snapshot.tableCount, keys: snapshot.keyCount,
                intents: snapshot.intents.open.count, oldest: snapshot.oldest, names: snapshot.names.live.count + snapshot.names.toDelete.count
            )
        }
        // Records a cut-short compaction left below `oldest` are not counted.
        let records = try await client.range(
            EtcdRangeRequest(
                key: layout.records, rangeEnd: EtcdKeys.prefixEnd(layout.records), countOnly: true,
                minModRevision: Int64(counts.oldest)))
        let status = try await client.status()
        return StoreStatistics(
            lsn: counts.lsn, oldest: counts.oldest, records: Int(records.count), tables: counts.tables, keys: counts.keys,
            openIntents: counts.intents, names: counts.names, usedBytes: Int(status.dbSizeInUse), mapBytes: quotaBytes,
            durable: true)
    }
}
