import NIOCore
import TidemarkProtocol
import TidemarkStore

/// What a connection hands its requests to, whichever backend holds the state: the local
/// LMDB store (`RequestDispatcher`) or a remote one (`RemoteDispatcher`).
protocol RequestRouter: Sendable {
    var statistics: ServerStatistics { get }
    var metrics: ServerMetrics? { get }
    var epoch: Epoch { get }
    /// Whether mutations handed over one after another are applied in that order without
    /// waiting for each other (the LMDB writer's queue). When false, each is sent on its
    /// own and the backend may order concurrent ones either way, so a connection sends its
    /// next mutation only once the previous one is answered (§4: a connection's writes
    /// apply in the order sent).
    var appliesMutationsInOrder: Bool { get }

    /// Handles a request whose method the connection has already recognised.
    func dispatch(_ method: RPCMethod, _ params: JSONValue?, peer: Peer, eventLoop: any EventLoop) -> DispatchStep

    /// A `check` whose params the connection already decoded (`CompactCheckDecoder`).
    func check(_ params: CheckMethod.Params, eventLoop: any EventLoop) -> DispatchStep

    /// Where a watch reads its backlog from, having refused a `from` below the oldest
    /// record (-32004).
    func watchBacklog(from: LSN?) throws(RPCError) -> any WatchBacklog
}
