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

    /// Applies one client mutation; its outcome once it is durable on the backend.
    func apply(_ request: MutationRequest) async throws(StoreError) -> MutationOutcome
}
