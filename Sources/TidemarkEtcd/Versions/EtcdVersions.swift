import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TidemarkStore

/// Tidemark's versions kept in etcd: writes are one etcd Txn each (the LSN is its
/// revision), and stamps and checks are answered from this server's watch-fed mirror after
/// a shared linearizable read of the head key, so that one that starts after any server's
/// write was acknowledged sees it (protocol/ETCD.md). Every server of a fleet opens its
/// own on the same cluster and prefix.
///
/// It holds writes, stamps, checks, intents, named entries, sources and the log.
public final class EtcdVersions: Service, Sendable {
    public enum Consistency: Sendable {
        /// Sees every write acknowledged (to any server) before the call started.
        case linearizable
        /// Answers from the mirror as it is: may miss writes of the last moments (the
        /// watch's lag), never invents one.
        case serializable
    }

    public let epoch: Epoch
    let client: EtcdClient
    let layout: EtcdLayout
    let mirror: EtcdMirror
    private let heads: HeadReads
    let logger: Logger
    /// Names this server's records (`r/<writer>/<sequence>`), so no two writes share one.
    let writer = String(UInt64.random(in: 1...UInt64.max), radix: 16)
    let sequenceCounter = Atomic<UInt64>(0)
    /// The lease closed intents' states are bound to, and when it was granted.
    let retention = Mutex<(lease: Int64, grantedAt: ContinuousClock.Instant)?>(nil)
    /// Leases of intents this server closed, to revoke off the request path.
    let spentLeases = Mutex<[Int64]>([])
    /// The position and its key's revision this server last recorded, per source.
    let sourcePositions = Mutex<[String: (position: UInt64, modRevision: Int64)]>([:])
    let loadedAt: Int64
    /// How long a check waits for the mirror to reach the head before it fails.
    let mirrorTimeoutValue: Duration
    let loadPageSize: Int

    /// Opens the state under `prefix`, creating its epoch on first use, and loads the
    /// mirror. `run()` (a `Service`) then keeps the mirror current; checks wait for it.
    ///
    /// `loadPageSize` is how many keys one range of the (re)load reads.
    public static func open(
        client: EtcdClient, prefix: String = "/tidemark/", mirrorTimeout: Duration = .seconds(5), loadPageSize: Int = 10_000,
        logger: Logger
    ) async throws(EtcdError) -> EtcdVersions {
        let layout = EtcdLayout(prefix: Array(prefix.utf8))
        let epoch = try await Self.epoch(client: client, layout: layout)
        let mirror = EtcdMirror(layout: layout)
        let pageSize = max(1, loadPageSize)
        let loadedAt = try await Self.load(mirror, client: client, layout: layout, pageSize: pageSize)
        return EtcdVersions(
            epoch: epoch, client: client, layout: layout, mirror: mirror, loadedAt: loadedAt, mirrorTimeout: mirrorTimeout,
            loadPageSize: pageSize, logger: logger)
    }

    private init(
        epoch: Epoch, client: EtcdClient, layout: EtcdLayout, mirror: EtcdMirror, loadedAt: Int64, mirrorTimeout: Duration,
        loadPageSize: Int, logger: Logger
    ) {
        self.loadPageSize = loadPageSize
        self.epoch = epoch
        self.client = client
        self.layout = layout
        self.mirror = mirror
        self.loadedAt = loadedAt
        self.mirrorTimeoutValue = mirrorTimeout
        self.logger = logger
        let head = layout.head
        heads = HeadReads { () async throws(EtcdError) -> Int64 in
            try await client.range(EtcdRangeRequest(key: head)).kvs.first?.modRevision ?? 0
        }
    }

    /// The epoch: the cluster's id and a random word stored once under the prefix, so a
    /// wiped prefix or another cluster never makes an old stamp valid.
    private static func epoch(client: EtcdClient, layout: EtcdLayout) async throws(EtcdError) -> Epoch {
        var word = UInt64.random(in: 1...UInt64.max).bigEndian
        let fresh = withUnsafeBytes(of: &word) { Array($0) }
        let created = try await client.transaction(
            EtcdTransaction(
                compare: [.absent(layout.epoch)], success: [.put(key: layout.epoch, value: fresh)],
                failure: [.range(EtcdRangeRequest(key: layout.epoch))]),
            idempotent: true)
        var stored = fresh
        if !created.succeeded, case .range(let existing) = created.responses.first, let kv = existing.kvs.first {
            stored = kv.value
        }
        guard stored.count == 8 else {
            throw EtcdError(.protocolViolation, "the epoch key under the prefix holds \(stored.count) bytes, not 8")
        }
        return Epoch(high: created.header.clusterID, low: stored.reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Every record of every server, in LSN order, as this server's watch sees them; those
    /// up to the returned LSN are in the log already. Installed before `run()`.
    public func deliverRecords(to sink: @escaping @Sendable (RecordFeedEvent) -> Void) -> LSN {
        mirror.deliverRecords(to: sink)
        return LSN(loadedAt)
    }

    /// The head's revision from a linearizable read that started after this call.
    func headRevision() async throws(EtcdError) -> Int64 {
        try await heads.revision()
    }

    /// Reads every key but the records at one revision into the mirror, `pageSize` keys
    /// per range: one answer for a large key space would pass the client's response
    /// limit. A revision compacted away meanwhile fails the load, and `follow` loads again.
    static func load(
        _ mirror: EtcdMirror, client: EtcdClient, layout: EtcdLayout, pageSize: Int
    ) async throws(EtcdError) -> Int64 {
        var keys: [EtcdKeyValue] = []
        var revision: Int64 = 0
        let spans = [
            (layout.prefix, layout.records), (EtcdKeys.prefixEnd(layout.records), EtcdKeys.prefixEnd(layout.prefix)),
        ]
        for (start, end) in spans {
            var from = start
            while true {
                let page = try await client.range(
                    EtcdRangeRequest(key: from, rangeEnd: end, limit: Int64(pageSize), revision: revision))
                if revision == 0 { revision = page.header.revision }
                keys += page.kvs
                guard page.more, let last = page.kvs.last else { break }
                from = last.key + [0]
            }
        }
        mirror.load(keys, at: revision)
        return revision
    }

    /// Keeps the mirror current until cancelled or a graceful shutdown (as the last
    /// service of a server's group, after its listener answered everything).
    /// Also expires the intents whose lease ran out, whichever server began them, and
    /// sweeps names.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.follow() }
                group.addTask { await self.expireIntents() }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// The background pass: an intent is expired at most about 100 ms after its lease
    /// ended (by this server's clock, or etcd's when its lease key goes), and the keys of
    /// names dropped or expired are deleted, and closed intents' leases revoked.
    private func expireIntents() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            await expireDueIntents()
            await sweepNames()
            await revokeSpentLeases()
        }
    }
}
