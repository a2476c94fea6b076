import TidemarkProtocol
import TidemarkStore

/// `stats`' result (§7.13), from the store's figures, the writes applied, the server's
/// own counters and the activity counters; the same for every backend.
enum StatisticsJSON {
    static func object(
        store: StoreStatistics, writes: GroupCommitWriter.Counters, server: ServerStatistics, watchers: Int,
        activity counted: ActivityCounters.State, now: Milliseconds, tables: [String]?
    ) -> JSONValue {
        var result: JSONObject = [
            "lsn": JSONValue(store.lsn),
            "oldest": JSONValue(store.oldest),
            "records": JSONValue(store.records),
            "tables": JSONValue(store.tables),
            "keys": JSONValue(store.keys),
            "open_intents": JSONValue(store.openIntents),
            "names": JSONValue(store.names),
            "used_bytes": JSONValue(store.usedBytes),
            "map_bytes": JSONValue(store.mapBytes),
            "sync": .string(store.durable ? "full" : "none"),
            "uptime_ms": JSONValue(now >= server.startedAt ? now - server.startedAt : 0),
            "connections": JSONValue(server.connections),
            "connections_accepted": JSONValue(server.connectionsAccepted),
            "connections_refused": JSONValue(server.connectionsRefused),
            "commits": JSONValue(writes.batches),
            "mutations": JSONValue(writes.mutations),
            "writer_queue": JSONValue(writes.queued),
            "watchers": JSONValue(watchers),
            "checks": ActivityJSON.checks(counted.checks),
            "counting_since": JSONValue(counted.countingSince),
        ]
        if let journal = store.journal {
            result["journal"] = .object([
                "segments": JSONValue(journal.segments),
                "bytes": JSONValue(journal.bytes),
                "first": JSONValue(journal.first),
                "next": JSONValue(journal.next),
            ])
        }
        // Per-table activity only when asked for: `tables: []` means every table.
        if let tables {
            let names = tables.isEmpty ? counted.tables.keys.sorted() : tables
            var perTable = JSONObject()
            for name in names {
                perTable[name] = ActivityJSON.table(
                    counted.tables[name] ?? TableActivity(), now: now, since: counted.countingSince)
            }
            result["per_table"] = .object(perTable)
        }
        return .object(result)
    }
}
