import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TidemarkProtocol
import TidemarkStore

/// The Unix-socket listener: one child task per connection, all ended by graceful
/// shutdown after the requests they already read are answered.
public final class TidemarkServer: Service {
    private let configuration: ServerConfiguration
    private let dispatcher: RequestDispatcher
    private let hub: WatchHub
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onListening: @Sendable () -> Void

    init(
        configuration: ServerConfiguration, dispatcher: RequestDispatcher, hub: WatchHub, eventLoopGroup: any EventLoopGroup,
        logger: Logger, onListening: @escaping @Sendable () -> Void
    ) {
        self.configuration = configuration
        self.dispatcher = dispatcher
        self.hub = hub
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onListening = onListening
    }

    private struct Accepted: Sendable {
        var channel: NIOAsyncChannel<[InboundFrame], ByteBuffer>
        /// Nil when the peer vanished before its credentials could be read.
        var peer: Peer?
    }

    public func run() async throws {
        let path = configuration.socketPath
        try SocketFile.prepare(path)
        let maxLineBytes = configuration.limits.maxLineBytes
        let listener: NIOAsyncChannel<Accepted, Never>
        do {
            listener = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.backlog, value: configuration.backlog)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: path) { channel in
                    // The handlers go in first and synchronously, before any read can
                    // arrive. A wrapped channel must then always reach `serve`, which
                    // finishes it, so a failure to read the credentials only marks it.
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLineBytes: maxLineBytes)))
                        return try NIOAsyncChannel<[InboundFrame], ByteBuffer>(wrappingChannelSynchronously: channel)
                    }.flatMap { asyncChannel in
                        channel.peerCredentials()
                            .map { Optional($0) }
                            .recover { _ in nil }
                            .map { Accepted(channel: asyncChannel, peer: $0) }
                    }
                }
        } catch {
            throw ServerError(.bind, "cannot listen on \(path)", cause: error)
        }
        let identity = SocketFile.identity(path)
        defer { SocketFile.remove(path, ifIdentity: identity) }
        try SocketFile.setMode(path, configuration.socketMode)
        logger.info("listening", metadata: ["socket": "\(path)", "epoch": "\(dispatcher.store.epoch)"])
        onListening()

        let statistics = dispatcher.statistics
        let shutdown = ShutdownFlag()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    for try await accepted in connections {
                        // Counted here, not in the child, so the limit is exact.
                        guard statistics.connections < configuration.maxConnections else {
                            statistics.connectionRefused()
                            group.addTask { await self.refuse(accepted) }
                            continue
                        }
                        statistics.connectionOpened()
                        group.addTask {
                            defer { statistics.connectionClosed() }
                            await self.serve(accepted, shutdown: shutdown)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        logger.info("stopped listening", metadata: ["socket": "\(path)"])
    }

    private func serve(_ accepted: Accepted, shutdown: ShutdownFlag) async {
        let channel = accepted.channel.channel
        guard let peer = accepted.peer else {
            try? await accepted.channel.executeThenClose { _, _ in }
            return
        }
        let grant = configuration.access.grant(for: PeerIdentity(peer: peer, policy: configuration.access))
        let handler = ConnectionHandler(
            dispatcher: dispatcher, hub: hub, grant: grant, shutdown: shutdown, eventLoop: channel.eventLoop,
            limits: configuration.limits)
        let grace = configuration.shutdownGrace
        do {
            try await withGracefulShutdownHandler {
                try await accepted.channel.executeThenClose { inbound, outbound in
                    try await handler.run(inbound: inbound, outbound: outbound)
                }
            } onGracefulShutdown: {
                // Requests arriving during the grace period are answered -32006, so their
                // senders know they were not applied; then reading stops, and what was
                // read is still answered before the channel closes.
                shutdown.begin()
                channel.eventLoop.scheduleTask(in: grace) { channel.close(mode: .input, promise: nil) }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)", "pid": "\(peer.pid)"])
        }
    }

    /// Over `maxConnections`: one -32001 line, then the connection closes.
    private func refuse(_ accepted: Accepted) async {
        let limit = configuration.maxConnections
        try? await accepted.channel.executeThenClose { _, outbound in
            let error = RPCError(
                code: RPCError.Code.overloaded, message: "overloaded: too many connections (limit \(limit))")
            var buffer = ByteBuffer()
            RPCResponse(id: .null, result: .failure(error)).write(into: &buffer)
            try await outbound.write(buffer)
        }
        logger.notice("connection refused", metadata: ["limit": "\(limit)", "pid": "\(accepted.peer?.pid ?? 0)"])
    }
}
