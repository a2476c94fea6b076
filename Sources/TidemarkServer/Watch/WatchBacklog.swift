import TidemarkStore

/// Where a watch reads the records it replays before going live: the local store's log,
/// or a remote store's. Read from the watch's own task, page by page.
protocol WatchBacklog: Sendable {
    func page(_ query: LogQuery) async throws(StoreError) -> LogPage
}

/// The LMDB log, read in place.
struct LocalBacklog: WatchBacklog {
    let store: any VersionStore

    func page(_ query: LogQuery) async throws(StoreError) -> LogPage {
        try store.log(query)
    }
}

/// A remote store's log, one call per page.
struct RemoteBacklog: WatchBacklog {
    let store: any RemoteVersionStore

    func page(_ query: LogQuery) async throws(StoreError) -> LogPage {
        try await store.log(query)
    }
}
