/// The one surface through which the server reaches the version state. A second backend
/// (etcd, for deployments that span hosts) is planned, so nothing LMDB-specific shows here.
///
/// Reads may run on any thread at once. `apply` must be called from one writer at a time;
/// each call is one atomic, durable transaction.
public protocol VersionStore: AnyObject, Sendable {
    var epoch: Epoch { get }
    var limits: StoreLimits { get }

    /// The LSN of the newest record.
    func currentLSN() throws(StoreError) -> LSN

    /// Versions of `deps` and the current LSN, read in one snapshot.
    func stamp(_ deps: [Dep]) throws(StoreError) -> StampResult

    /// Answers each query against one snapshot.
    func check(_ queries: [CheckQuery]) throws(StoreError) -> [Validity]

    func log(_ query: LogQuery) throws(StoreError) -> LogPage

    func statistics() throws(StoreError) -> StoreStatistics

    /// What the last `saveActivity` stored, or nil if nothing was.
    func savedActivity() throws(StoreError) -> [UInt8]?

    /// The highest position a `sourcedWrite` recorded for the source `name`, 0 if none.
    func sourcePosition(_ name: String) throws(StoreError) -> UInt64

    /// The earliest time housekeeping has work to do (an intent's lease or a name's TTL
    /// ending), or nil when nothing is scheduled.
    func nextHousekeeping() throws(StoreError) -> Milliseconds?

    /// Frees what readers in other processes left behind when they died mid-read (LMDB's
    /// reader slots), returning how many; housekeeping calls it about once a second.
    func clearStaleReaders() throws(StoreError) -> Int

    /// Takes a checkpoint when one is due, in a store with a write-ahead journal, and
    /// returns whether it did; housekeeping asks about once a second, off the writer.
    func checkpointIfDue() throws(StoreError) -> Bool

    /// Called once the writer has stopped: a journaled store flushes its data file and
    /// records a clean stop, so that the next start trusts the file without a rebuild.
    func stopped()

    /// Applies `batch` in order in one transaction. A request that breaks a rule fails
    /// alone; a storage failure fails the whole batch, which then wrote nothing.
    func apply(_ batch: [MutationRequest]) throws(StoreError) -> AppliedBatch
}

extension VersionStore {
    /// A backend without same-host readers has nothing to clear.
    public func clearStaleReaders() throws(StoreError) -> Int { 0 }

    public func stopped() {}

    /// A backend without a journal has nothing to checkpoint.
    public func checkpointIfDue() throws(StoreError) -> Bool { false }
}

/// Counts and sizes for `stats`.
public struct StoreStatistics: Hashable, Sendable {
    public var lsn: LSN
    public var oldest: LSN
    public var records: Int
    public var tables: Int
    public var keys: Int
    public var openIntents: Int
    public var names: Int
    public var usedBytes: Int
    public var mapBytes: Int
    public var durable: Bool
    /// The write-ahead journal's extent, in a store that has one.
    public var journal: JournalStatus?

    public init(
        lsn: LSN, oldest: LSN, records: Int, tables: Int, keys: Int, openIntents: Int,
        names: Int, usedBytes: Int, mapBytes: Int, durable: Bool
    ) {
        self.lsn = lsn
        self.oldest = oldest
        self.records = records
        self.tables = tables
        self.keys = keys
        self.openIntents = openIntents
        self.names = names
        self.usedBytes = usedBytes
        self.mapBytes = mapBytes
        self.durable = durable
    }
}
