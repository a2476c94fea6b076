/// A store whose state lives in another system (an etcd cluster): every call waits on a
/// network round, so the server runs calls as tasks, never on an event loop or on the
/// writer thread, and sends each mutation on its own (the remote system orders them).
///
/// A remote store may offer only part of what `VersionStore` does; what it does not offer
/// fails with `unsupported`, and `unavailable` means it cannot answer now, never a guess.
public protocol RemoteVersionStore: AnyObject, Sendable {
    /// The backend's name, as `hello` reports it.
    var backend: String { get }
    var epoch: Epoch { get }
    var limits: StoreLimits { get }

    /// The newest LSN any server of the fleet had acknowledged when the call started.
    func currentLSN() async throws(StoreError) -> LSN

    /// Versions of `deps` and the current LSN, from one state.
    func stamp(_ deps: [Dep]) async throws(StoreError) -> StampResult

    /// Answers each query against one state.
    func check(_ queries: [CheckQuery]) async throws(StoreError) -> [Validity]

    /// One page of the change log, read after every write acknowledged before the call.
    func log(_ query: LogQuery) async throws(StoreError) -> LogPage

    /// The highest position recorded for an external stream, 0 for none.
    func sourcePosition(_ name: String) async throws(StoreError) -> UInt64

    /// `stats`' store figures, read after every write acknowledged before the call.
    func statistics() async throws(StoreError) -> StoreStatistics

    /// What the last `saveActivity` mutation stored for this server, or nil if nothing was
    /// (or the store keeps no activity: it then refuses `saveActivity` as `unsupported`).
    func savedActivity() async throws(StoreError) -> [UInt8]?

    /// The first LSN the log may hold; nothing below it is kept.
    var oldest: LSN { get }

    /// Every record of every server, in LSN order, as this server learns of them, for
    /// watchers. Records up to the returned LSN are already in the log; later ones reach
    /// `sink`. Installed once, before the store's services run.
    func deliverRecords(to sink: @escaping @Sendable (RecordFeedEvent) -> Void) -> LSN

    /// Applies one client mutation; its outcome once it is durable on the backend.
    func apply(_ request: MutationRequest) async throws(StoreError) -> MutationOutcome
}

/// What a remote store tells its watchers.
public enum RecordFeedEvent: Sendable {
    /// Records after the last ones delivered, in LSN order, none missing, each with the
    /// names it dropped.
    case records([CommittedRecord])
    /// The store could not follow for a while and starts again after `lsn`: records
    /// between the last delivered and `lsn` were not delivered (they are in the log), so
    /// watchers must resume from the log.
    case restarted(after: LSN)
}
