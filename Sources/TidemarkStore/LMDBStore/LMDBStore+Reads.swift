import LMDB

extension LMDBStore {
    public func currentLSN() throws(StoreError) -> LSN {
        try guarded("cannot read the current LSN") {
            try environment.read { try currentLSN(in: $0) }
        }
    }

    public func stamp(_ deps: [Dep]) throws(StoreError) -> StampResult {
        try limits.validate(deps, field: "deps")
        return try guarded("cannot read versions") {
            try environment.read { try stampAnswer(deps, in: $0) }
        }
    }

    public func check(_ queries: [CheckQuery]) throws(StoreError) -> [Validity] {
        try validate(queries)
        let now = clock()
        return try guarded("cannot check") {
            try environment.read { try checkAnswers(queries, now: now, in: $0) }
        }
    }

    /// Most records a single `log` call looks at, matching or not, so a filter that
    /// matches little cannot make one request scan the whole log; `next` says where to go on.
    static let logScanLimit = 100_000

    public func log(_ query: LogQuery) throws(StoreError) -> LogPage {
        try guarded("cannot read the log") {
            try environment.read { transaction in
                let oldest = try oldestLSN(in: transaction)
                let lsn = try currentLSN(in: transaction)
                let from = query.from ?? oldest
                guard from >= oldest else {
                    throw StoreError.compactedAway(below: oldest)
                }
                var records: [Record] = []
                var next = max(from, oldest)
                guard query.limit > 0, from <= lsn else {
                    return LogPage(records: records, next: next, oldest: oldest)
                }
                try transaction.withCursor(on: schema.log) { cursor in
                    var entry = try cursor.seek(atLeast: Schema.logKey(from))
                    var scanned = 0
                    while let current = entry, records.count < query.limit, scanned < Self.logScanLimit {
                        let recordLSN = try ByteReader.bigEndian(current.key)
                        let record = try StoredCoding.decodeRecord(lsn: recordLSN, current.value)
                        if query.tables.map({ record.touches(anyOf: $0) }) ?? true { records.append(record) }
                        next = recordLSN + 1
                        scanned += 1
                        entry = try cursor.next()
                    }
                }
                return LogPage(records: records, next: next, oldest: oldest)
            }
        }
    }

    public func statistics() throws(StoreError) -> StoreStatistics {
        var statistics = try guarded("cannot read statistics") {
            let info = try environment.info()
            return try environment.read { transaction in
                StoreStatistics(
                    lsn: try currentLSN(in: transaction),
                    oldest: try oldestLSN(in: transaction),
                    records: try transaction.count(of: schema.log),
                    tables: try transaction.count(of: schema.tables),
                    keys: try transaction.count(of: schema.keys),
                    openIntents: try transaction.count(of: schema.intentExpiry),
                    names: try transaction.count(of: schema.names),
                    usedBytes: info.usedBytes,
                    mapBytes: info.mapSize,
                    durable: options.durable)
            }
        }
        statistics.journal = journalStatus
        return statistics
    }

    public func savedActivity() throws(StoreError) -> [UInt8]? {
        try guarded("cannot read the activity counters") {
            try environment.read { transaction in
                try transaction.value(in: schema.meta, forKey: Schema.MetaKey.activity)
            }
        }
    }

    public func nextHousekeeping() throws(StoreError) -> Milliseconds? {
        try guarded("cannot read expiry times") {
            try environment.read { transaction in
                let intentDue = try transaction.withCursor(on: schema.intentExpiry) { cursor in
                    try cursor.first().map { try ByteReader.bigEndian(UnsafeRawBufferPointer(rebasing: $0.key[0..<8])) }
                }
                let nameDue = try transaction.withCursor(on: schema.nameExpiry) { cursor in
                    try cursor.first().map { try ByteReader.bigEndian(UnsafeRawBufferPointer(rebasing: $0.key[0..<8])) }
                }
                return [intentDue, nameDue].compactMap { $0 }.min()
            }
        }
    }

    /// An intent's stored state, for tools and tests.
    public func intent(_ id: String) throws(StoreError) -> Intent? {
        try guarded("cannot read the intent") {
            try environment.read { try intent(id, in: $0) }
        }
    }

    /// A named entry as stored, for tools and tests.
    public func namedEntry(_ name: String) throws(StoreError) -> NamedEntry? {
        try guarded("cannot read the name") {
            try environment.read { try namedEntry(name, in: $0) }
        }
    }
}
