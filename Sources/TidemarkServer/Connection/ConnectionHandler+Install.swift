import NIOCore
import TidemarkProtocol

extension ConnectionHandler {
    /// Puts the line framing and a handler on a new channel, on its event loop, before its
    /// first read; returns the watches it will accept, for `ConnectionHandler.runWatches`.
    static func install(
        on channel: any Channel, dispatcher: any RequestRouter, hub: WatchHub, grant: ConnectionGrant,
        shutdown: ShutdownFlag, limits: ProtocolLimits
    ) throws -> AsyncStream<WatchStart> {
        let (watchStarts, continuation) = AsyncStream.makeStream(of: WatchStart.self)
        let handler = ConnectionHandler(
            dispatcher: dispatcher, hub: hub, grant: grant, shutdown: shutdown, limits: limits, watchStarts: continuation)
        try channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(LineFrameDecoder(maxLineBytes: limits.maxLineBytes)), handler)
        return watchStarts
    }

    /// The connection's task: runs each watch the handler accepts as a child task, until
    /// the handler is done with the connection, then closes it.
    static func runWatches(
        _ watchStarts: AsyncStream<WatchStart>, of channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, hub: WatchHub
    ) async throws {
        try await channel.executeThenClose { _, outbound in
            await withDiscardingTaskGroup { group in
                for await start in watchStarts {
                    let pump = WatchPump(
                        subscription: start.subscription, from: start.from, backlog: start.backlog, hub: hub,
                        outbound: outbound)
                    group.addTask { await pump.run() }
                }
                // The connection is done: its watches end with it.
                group.cancelAll()
            }
        }
    }
}
