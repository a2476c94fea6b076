import TidemarkProtocol
import TidemarkStore

/// Turns the pgoutput messages of a stream into one `CapturedTransaction` per commit:
/// the tables touched, with the primary keys of the rows inserted, updated or deleted,
/// or the whole table (a wide change) where the keys are unknown or too many.
///
/// Rules, in the README's words: a table whose key is not its primary key (no primary
/// key, `REPLICA IDENTITY FULL`, `NOTHING` or `USING INDEX`) and TRUNCATE give wide
/// changes; more than `maxKeysPerTable` keys of one table in a transaction make that table
/// wide; more than `maxKeyBytes` bytes of keys in all make every table wide; more tables
/// than `maxChanges`, or a message that cannot be read, make the record one wide change
/// of `globalTable`.
struct TransactionAssembler {
    struct Options: Sendable {
        /// Prefix `NAMESPACE.` to every table (tidemark_django's NAMESPACES).
        var namespace: String?
        /// Only these tables (by name or `schema.name`); nil for all.
        var tables: Set<String>?
        var maxKeysPerTable = 1000
        var maxKeyBytes = 256 * 1024
        /// The server's `max_changes`.
        var maxChanges = 1000
        var globalTable = "tidemark_django.all"
        var limits = StoreLimits()
    }

    private struct TableInfo {
        var table: String
        /// Column positions of the primary key; nil when the stream does not carry it.
        var keyColumns: [Int]?
        var included: Bool
    }

    private enum TableChange {
        case keys([String], Set<String>)
        case wide
    }

    private struct Open {
        var xid: UInt32
        var commitLSN: UInt64
        var changes: [String: TableChange] = [:]
        var keyBytes = 0
        /// Something could not be attributed to a table: record everything.
        var everything = false
    }

    let options: Options
    private var relations: [UInt32: TableInfo] = [:]
    private var open: Open?

    init(options: Options) {
        self.options = options
    }

    /// Whether a transaction's messages are being received (between Begin and Commit).
    var inTransaction: Bool { open != nil }

    /// Feeds one message; returns the transaction its Commit completes.
    mutating func handle(_ message: PgOutputMessage) -> CapturedTransaction? {
        switch message {
        case .begin(let commitLSN, _, let xid):
            open = Open(xid: xid, commitLSN: commitLSN)
        case .commit(let commitLSN, let endLSN, let commitTime):
            let finished = open ?? Open(xid: 0, commitLSN: commitLSN)
            open = nil
            return CapturedTransaction(
                xid: finished.xid, commitLSN: commitLSN, endLSN: endLSN,
                commitTime: PostgresTime.unixMicroseconds(commitTime), changes: changes(of: finished))
        case .relation(let relation):
            relations[relation.id] = info(relation)
        case .insert(let relation, let new):
            touch(relation, keys: [key(new, relation)])
        case .update(let relation, let old, let new):
            if let old {
                let oldKey = key(old, relation)
                let newKey = key(new, relation)
                // An unchanged TOASTed key column is not resent; the old key then stands for both.
                touch(relation, keys: newKey == nil && new.contains(.unchangedToast) ? [oldKey] : [oldKey, newKey])
            } else {
                touch(relation, keys: [key(new, relation)])
            }
        case .delete(let relation, let old):
            touch(relation, keys: [key(old, relation)])
        case .truncate(let ids):
            for id in ids { touch(id, keys: [nil]) }
        case .ignored:
            break
        }
        return nil
    }

    /// A message inside the transaction could not be decoded: its rows are unknown.
    mutating func markUnreadable() {
        open?.everything = true
    }

    private func info(_ relation: PgOutputMessage.Relation) -> TableInfo {
        var table = relation.name
        if let namespace = options.namespace { table = "\(namespace).\(table)" }
        let qualified = relation.namespace.isEmpty ? relation.name : "\(relation.namespace).\(relation.name)"
        let included = options.tables.map { $0.contains(relation.name) || $0.contains(qualified) } ?? true
        let keyColumns = relation.columns.indices.filter { relation.columns[$0].isKey }
        // Only under REPLICA IDENTITY DEFAULT are the flagged columns the primary key.
        let usable = relation.replicaIdentity == UInt8(ascii: "d") && !keyColumns.isEmpty
        return TableInfo(table: table, keyColumns: usable ? keyColumns : nil, included: included)
    }

    /// The row's key as tidemark_django names it (`str(pk)`): the column's text, or for a
    /// composite key a JSON array of the columns' texts. Nil when it cannot be a key.
    private func key(_ values: [PgOutputMessage.Value], _ relation: UInt32) -> String? {
        guard let columns = relations[relation]?.keyColumns else { return nil }
        var texts: [String] = []
        for column in columns {
            guard column < values.count, case .text(let bytes) = values[column],
                let text = String(validating: bytes, as: UTF8.self)
            else { return nil }
            texts.append(text)
        }
        let key = texts.count == 1 ? texts[0] : JSONValue.array(texts.map(JSONValue.string)).jsonString
        guard !key.isEmpty, key.utf8.count <= options.limits.maxKeyBytes else { return nil }
        return key
    }

    /// Records `keys` (nil: unknown, so the whole table) for the relation.
    private mutating func touch(_ relation: UInt32, keys: [String?]) {
        guard open != nil else { return }
        guard let info = relations[relation] else {
            open?.everything = true
            return
        }
        guard info.included else { return }
        var change = open!.changes[info.table] ?? .keys([], [])
        defer { open!.changes[info.table] = change }
        guard case .keys(var ordered, var seen) = change else { return }
        for key in keys {
            guard let key else {
                change = .wide
                return
            }
            if seen.insert(key).inserted {
                ordered.append(key)
                open!.keyBytes += key.utf8.count
            }
        }
        change = ordered.count > options.maxKeysPerTable ? .wide : .keys(ordered, seen)
    }

    private func changes(of transaction: Open) -> [Change] {
        let global = [Change(table: options.globalTable)]
        if transaction.everything || transaction.changes.count > options.maxChanges { return global }
        if transaction.changes.keys.contains(where: { $0.utf8.count > options.limits.maxTableBytes }) { return global }
        let allWide = transaction.keyBytes > options.maxKeyBytes
        return transaction.changes.keys.sorted().map { table in
            switch transaction.changes[table]! {
            case .keys(let keys, _) where !allWide && !keys.isEmpty: Change(table: table, keys: keys.sorted())
            default: Change(table: table)
            }
        }
    }
}
