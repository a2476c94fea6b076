import LMDB

/// The named LMDB databases of a data directory and how their keys are built.
struct Schema: Sendable {
    /// epoch, lsn, oldest, format, activity, and `source:NAME` per source.
    let meta: Database
    /// LSN (big-endian) -> encoded record.
    let log: Database
    /// table -> (ver(table), LSN of the last wide change), big-endian.
    let tables: Database
    /// (table, key) -> the LSN of the last record naming the key.
    let keys: Database
    /// intent id -> encoded intent, open or recently closed.
    let intents: Database
    /// (lease end, intent id) for open intents, so housekeeping finds them in order.
    let intentExpiry: Database
    /// table -> (open intents changing it, open wide intents on it).
    let pendingTables: Database
    /// (table, key) -> open intents naming the key.
    let pendingKeys: Database
    /// name -> encoded named entry.
    let names: Database
    /// dep -> names depending on it (duplicate-sorted): the reverse index.
    let nameDeps: Database
    /// (expiry, name), so expired names are purged in order.
    let nameExpiry: Database
    /// (time to forget, intent id) for closed intents, whose state is remembered a while.
    let closedIntents: Database

    static let databaseCount = 12

    init(environment: Environment) throws {
        meta = try environment.openDatabase(named: "meta", flags: .create)
        log = try environment.openDatabase(named: "log", flags: .create)
        tables = try environment.openDatabase(named: "tables", flags: .create)
        keys = try environment.openDatabase(named: "keys", flags: .create)
        intents = try environment.openDatabase(named: "intents", flags: .create)
        intentExpiry = try environment.openDatabase(named: "intent_expiry", flags: .create)
        pendingTables = try environment.openDatabase(named: "pending_tables", flags: .create)
        pendingKeys = try environment.openDatabase(named: "pending_keys", flags: .create)
        names = try environment.openDatabase(named: "names", flags: .create)
        nameDeps = try environment.openDatabase(named: "name_deps", flags: [.create, .duplicateSort])
        nameExpiry = try environment.openDatabase(named: "name_expiry", flags: .create)
        closedIntents = try environment.openDatabase(named: "closed_intents", flags: .create)
    }

    enum MetaKey {
        static let epoch = Array("epoch".utf8)
        static let lsn = Array("lsn".utf8)
        static let oldest = Array("oldest".utf8)
        static let format = Array("format".utf8)
        /// Present (one byte, 1) in a store imported from a backend whose LSNs have gaps.
        static let sparse = Array("sparse".utf8)
        /// The journal sequence of the last transaction the data file holds (big-endian);
        /// absent in a store never journaled.
        static let journal = Array("journal".utf8)
        /// The server's activity counters, opaque to the store.
        static let activity = Array("activity".utf8)
        /// `source:` + a source's name -> the highest position recorded for it (big-endian).
        static let sourcePrefix = Array("source:".utf8)
    }

    static func sourceKey(_ name: String) -> [UInt8] {
        var bytes = MetaKey.sourcePrefix
        appendUTF8(name, to: &bytes)
        return bytes
    }

    static let formatVersion: UInt64 = 1

    static func logKey(_ lsn: LSN) -> [UInt8] {
        ByteWriter.bigEndian(lsn)
    }

    static func tableKey(_ table: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(table.utf8.count)
        appendUTF8(table, to: &bytes)
        return bytes
    }

    /// A one-byte table length keeps (table, key) pairs unambiguous and makes every key
    /// of a table share the prefix `tablePrefix(table)`.
    static func tablePrefix(_ table: String) -> [UInt8] {
        keyKey(table: table, key: "")
    }

    static func keyKey(table: String, key: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 + table.utf8.count + key.utf8.count)
        bytes.append(UInt8(truncatingIfNeeded: table.utf8.count))
        appendUTF8(table, to: &bytes)
        appendUTF8(key, to: &bytes)
        return bytes
    }

    /// Keys are built for every dep of every check: a copy of the contiguous bytes, not
    /// an iteration over the UTF-8 view.
    private static func appendUTF8(_ text: String, to bytes: inout [UInt8]) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if copied == nil { bytes.append(contentsOf: text.utf8) }
    }

    /// `tableKey(table)` without a copy: a table's key is its UTF-8 bytes.
    static func withTableKey<Result>(
        _ table: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        var table = table
        return try table.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    /// `keyKey(table:key:)` built in a stack buffer: checks build one per key dep, and a
    /// heap array each was a good part of a local check's cost.
    static func withKeyKey<Result>(
        table: String, key: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        var table = table
        var key = key
        return try table.withUTF8 { tableBytes in
            try key.withUTF8 { keyBytes in
                try withUnsafeTemporaryAllocation(byteCount: 1 + tableBytes.count + keyBytes.count, alignment: 1) { buffer in
                    buffer[0] = UInt8(truncatingIfNeeded: tableBytes.count)
                    UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyMemory(from: UnsafeRawBufferPointer(tableBytes))
                    UnsafeMutableRawBufferPointer(rebasing: buffer[(1 + tableBytes.count)...])
                        .copyMemory(from: UnsafeRawBufferPointer(keyBytes))
                    return try body(UnsafeRawBufferPointer(buffer))
                }
            }
        }
    }

    /// A table dep is its table prefix; a key dep extends it with the (non-empty) key.
    static func depKey(_ dep: Dep) -> [UInt8] {
        dep.key.map { keyKey(table: dep.table, key: $0) } ?? tablePrefix(dep.table)
    }

    static func expiryKey(_ time: Milliseconds, _ id: String) -> [UInt8] {
        var bytes = ByteWriter.bigEndian(time)
        bytes.append(contentsOf: id.utf8)
        return bytes
    }
}
