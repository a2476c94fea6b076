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
    private let dispatcher: any RequestRouter
    private let hub: WatchHub
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onListening: @Sendable () -> Void

    init(
        configuration: ServerConfiguration, dispatcher: any RequestRouter, hub: WatchHub, eventLoopGroup: any EventLoopGroup,
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
        enum Admission: Sendable {
            case served
            /// Over `maxConnections`.
            case refused
            /// The peer vanished before its credentials could be read.
            case vanished
        }

        var channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var admission: Admission
        var pid: Int32
        var watchStarts: AsyncStream<WatchStart>
    }

    public func run() async throws {
        let path = configuration.socketPath
        try SocketFile.prepare(path)
        let shutdown = ShutdownFlag()
        let listener: NIOAsyncChannel<Accepted, Never>
        do {
            listener = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.backlog, value: configuration.backlog)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(unixDomainSocketPath: path) { channel in
                    // Registration waits for this future, so the handlers are in place
                    // before the first read.
                    channel.peerCredentials()
                        .map { Optional($0) }
                        .recover { _ in nil }
                        .flatMapThrowing { peer in try self.prepare(channel, peer: peer, shutdown: shutdown) }
                }
        } catch {
            throw ServerError(.bind, "cannot listen on \(path)", cause: error)
        }
        let identity = SocketFile.identity(path)
        defer { SocketFile.remove(path, ifIdentity: identity) }
        try SocketFile.setMode(path, configuration.socketMode)
        logger.info("listening", metadata: ["socket": "\(path)", "epoch": "\(dispatcher.epoch)"])
        onListening()

        let statistics = dispatcher.statistics
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    for try await accepted in connections {
                        group.addTask {
                            switch accepted.admission {
                            case .served:
                                defer { statistics.connectionClosed() }
                                await self.serve(accepted, shutdown: shutdown)
                            case .refused:
                                await self.refuse(accepted)
                            case .vanished:
                                try? await accepted.channel.executeThenClose { _, _ in }
                            }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        logger.info("stopped listening", metadata: ["socket": "\(path)"])
    }

    /// Sets up a new connection, on its event loop: a `ConnectionHandler` serves it from
    /// the first read, unless it is refused.
    private func prepare(_ channel: any Channel, peer: Peer?, shutdown: ShutdownFlag) throws -> Accepted {
        guard let peer else { return try Self.accepted(channel, .vanished, pid: 0) }
        // Counted here, as the connection arrives, so the limit is exact.
        guard dispatcher.statistics.admitConnection(limit: configuration.maxConnections) else {
            return try Self.accepted(channel, .refused, pid: peer.pid)
        }
        do {
            let grant = configuration.access.grant(for: PeerIdentity(peer: peer, policy: configuration.access))
            let watchStarts = try ConnectionHandler.install(
                on: channel, dispatcher: dispatcher, hub: hub, grant: grant, shutdown: shutdown,
                limits: configuration.limits)
            return try Self.accepted(channel, .served, pid: peer.pid, watchStarts: watchStarts)
        } catch {
            // Its task, which would count it out again, never starts.
            dispatcher.statistics.connectionClosed()
            throw error
        }
    }

    /// Wraps the channel last, behind any handlers already in place.
    private static func accepted(
        _ channel: any Channel, _ admission: Accepted.Admission, pid: Int32,
        watchStarts: AsyncStream<WatchStart> = AsyncStream.makeStream().stream
    ) throws -> Accepted {
        let asyncChannel = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        return Accepted(channel: asyncChannel, admission: admission, pid: pid, watchStarts: watchStarts)
    }

    /// The connection's task, ended early by graceful shutdown.
    private func serve(_ accepted: Accepted, shutdown: ShutdownFlag) async {
        let channel = accepted.channel.channel
        let grace = configuration.shutdownGrace
        do {
            try await withGracefulShutdownHandler {
                try await ConnectionHandler.runWatches(
                    accepted.watchStarts, of: accepted.channel, hub: hub)
            } onGracefulShutdown: {
                // Requests arriving during the grace period are answered -32006, so their
                // senders know they were not applied; then reading stops, and what was
                // read is still answered before the channel closes.
                shutdown.begin()
                channel.eventLoop.scheduleTask(in: grace) { channel.close(mode: .input, promise: nil) }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)", "pid": "\(accepted.pid)"])
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
        logger.notice("connection refused", metadata: ["limit": "\(limit)", "pid": "\(accepted.pid)"])
    }
}
