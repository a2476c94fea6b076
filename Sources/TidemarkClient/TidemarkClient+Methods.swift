import TidemarkProtocol
import TidemarkStore

/// The protocol's methods, with typed params and results.
extension TidemarkClient {
    public func hello() async throws(TidemarkClientError) -> ServerHello {
        try ServerHello(json: try await call(RPCMethod.hello.rawValue))
    }

    public func ping() async throws(TidemarkClientError) {
        _ = try await call(RPCMethod.ping.rawValue)
    }

    /// Records one change set; answered once it is durable.
    public func write(_ changes: [Change], meta: JSONObject? = nil) async throws(TidemarkClientError) -> WriteMethod.Result {
        try await call(.write, WriteMethod.Params(changes: changes, meta: meta).json, WriteMethod.Result.init(json:))
    }

    /// Records one change set relayed from an ordered stream: a `source.position` at or
    /// below the one already recorded for `source.name` writes nothing and answers
    /// `duplicate: true`, so a relay may resend after any crash.
    public func write(
        _ changes: [Change], meta: JSONObject? = nil, source: SourcePosition
    ) async throws(TidemarkClientError) -> WriteMethod.Result {
        let params = WriteMethod.Params(changes: changes, meta: meta, source: source)
        return try await call(.write, params.json, WriteMethod.Result.init(json:))
    }

    /// The highest position recorded for the source `name` (0 if none).
    public func sourcePosition(_ name: String) async throws(TidemarkClientError) -> UInt64 {
        try await call(.source, SourceMethod.Params(name: name).json, SourceMethod.position)
    }

    /// The versions to stamp a cache entry with; take it before reading the database.
    public func stamp(_ deps: [Dep] = []) async throws(TidemarkClientError) -> StampResult {
        try await call(.stamp, StampMethod.Params(deps: deps).json, StampMethod.result)
    }

    public func check(stamp: Stamp, deps: [Dep]) async throws(TidemarkClientError) -> Validity {
        try await check(.single(.stamp(stamp, deps: deps)))[0]
    }

    public func check(name: String) async throws(TidemarkClientError) -> Validity {
        try await check(.single(.name(name)))[0]
    }

    /// One answer per query, in order.
    public func check(entries: [CheckQuery]) async throws(TidemarkClientError) -> [Validity] {
        try await check(.entries(entries))
    }

    private func check(_ params: CheckMethod.Params) async throws(TidemarkClientError) -> [Validity] {
        let validities = try await call(.check, params.json) { (json) throws(RPCError) in
            try CheckMethod.results(json, for: params)
        }
        guard validities.count == params.queries.count else {
            throw TidemarkClientError(
                .invalidResponse, "\(validities.count) check results for \(params.queries.count) queries")
        }
        return validities
    }

    public func register(
        name: String, stamp: Stamp, deps: [Dep], ttlMs: UInt64? = nil
    ) async throws(TidemarkClientError) -> RegisterMethod.Result {
        let params = RegisterMethod.Params(name: name, stamp: stamp, deps: deps, ttlMs: ttlMs)
        return try await call(.register, params.json, RegisterMethod.Result.init(json:))
    }

    /// Announces a transaction's changes before its COMMIT; returns the intent to
    /// `commit` or `abort` after it.
    public func begin(
        _ changes: [Change], ttlMs: UInt64? = nil, meta: JSONObject? = nil
    ) async throws(TidemarkClientError) -> BeginMethod.Result {
        let params = BeginMethod.Params(changes: changes, ttlMs: ttlMs, meta: meta)
        return try await call(.begin, params.json, BeginMethod.Result.init(json:))
    }

    public func commit(intent: String) async throws(TidemarkClientError) -> WriteMethod.Result {
        try await call(.commit, IntentMethod.Params(intent: intent).json, WriteMethod.Result.init(json:))
    }

    /// Returns the LSN of the `abort` record.
    public func abort(intent: String) async throws(TidemarkClientError) -> LSN {
        try await call(.abort, IntentMethod.Params(intent: intent).json, IntentMethod.AbortResult.init(json:)).lsn
    }

    /// One page of the log; see `readLog` to read across pages.
    public func log(_ params: LogMethod.Params = LogMethod.Params()) async throws(TidemarkClientError) -> LogPage {
        try await call(.log, params.json, LogMethod.page)
    }

    /// The server's counters, sizes and settings, as sent; with `tables`, also their
    /// activity under `per_table` (`[]` for every table).
    public func stats(tables: [String]? = nil) async throws(TidemarkClientError) -> JSONValue {
        guard let tables else { return try await call(RPCMethod.stats.rawValue) }
        return try await call(RPCMethod.stats.rawValue, params: StatsMethod.Params(tables: tables).json)
    }

    /// Drops the records below `before`; returns the new oldest retained LSN.
    public func compact(before: LSN) async throws(TidemarkClientError) -> LSN {
        try await call(.compact, CompactMethod.Params(before: before).json, CompactMethod.oldest)
    }

    /// Starts a watch; its events arrive on `notifications` as `watch.event`.
    public func watch(from: LSN? = nil, tables: [String]? = nil) async throws(TidemarkClientError) -> WatchMethod.Result {
        try await call(.watch, WatchMethod.Params(from: from, tables: tables).json, WatchMethod.Result.init(json:))
    }

    public func unwatch(_ watch: UInt64) async throws(TidemarkClientError) {
        _ = try await call(RPCMethod.unwatch.rawValue, params: WatchMethod.UnwatchParams(watch: watch).json)
    }

    private func call<Result>(
        _ method: RPCMethod, _ params: JSONValue, _ decode: (JSONValue) throws(RPCError) -> Result
    ) async throws(TidemarkClientError) -> Result {
        let json = try await call(method.rawValue, params: params)
        do {
            return try decode(json)
        } catch {
            throw TidemarkClientError.invalidResponse(error)
        }
    }
}
