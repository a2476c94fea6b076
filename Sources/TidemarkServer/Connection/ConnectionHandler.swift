import NIOCore
import TidemarkProtocol
import TidemarkStore

/// Serves one connection: reads groups of lines, answers every request in order, and
/// writes each group's answers with one flush.
///
/// Order: a read waits for the connection's earlier writes to be durable, so it sees
/// them; consecutive writes are queued together, so a pipelining writer shares fsyncs
/// instead of paying one per request.
struct ConnectionHandler {
    let dispatcher: RequestDispatcher
    let peer: Peer
    let eventLoop: any EventLoop
    let limits: ProtocolLimits

    func run(
        inbound: NIOAsyncChannelInboundStream<[InboundFrame]>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        for try await frames in inbound {
            var unsettledWrites: [EventLoopFuture<JSONValue>] = []
            var slots: [ResponseSlot] = []
            slots.reserveCapacity(frames.count)
            for frame in frames {
                if let slot = await handle(frame, unsettledWrites: &unsettledWrites) { slots.append(slot) }
            }
            var buffer = ByteBuffer()
            for slot in slots { await slot.write(into: &buffer) }
            if buffer.readableBytes > 0 {
                try await outbound.write(buffer)
            }
        }
    }

    private func handle(_ frame: InboundFrame, unsettledWrites: inout [EventLoopFuture<JSONValue>]) async -> ResponseSlot? {
        switch frame {
        case .oversized:
            return .ready(.null, .failure(.lineTooLong))
        case .line(let line):
            switch RPCInbound.decode(line, maxBatch: limits.maxBatch, maxDepth: limits.maxDepth) {
            case .malformed(let error):
                return .ready(.null, .failure(error))
            case .single(let request):
                return await handle(request, unsettledWrites: &unsettledWrites)
            case .batch(let requests):
                var members: [ResponseSlot] = []
                for request in requests {
                    if let slot = await handle(request, unsettledWrites: &unsettledWrites) { members.append(slot) }
                }
                return .batch(members)
            }
        }
    }

    private func handle(
        _ decoded: Result<RPCRequest, RPCRejection>, unsettledWrites: inout [EventLoopFuture<JSONValue>]
    ) async -> ResponseSlot? {
        let request: RPCRequest
        switch decoded {
        case .failure(let rejection):
            return .ready(rejection.id ?? .null, .failure(rejection.error))
        case .success(let success):
            request = success
        }
        if RequestDispatcher.needsEarlierWrites(request) {
            for write in unsettledWrites { _ = try? await write.get() }
            unsettledWrites.removeAll()
        }
        switch dispatcher.dispatch(request, peer: peer, eventLoop: eventLoop) {
        case .done(let result):
            return .ready(request.id, result)
        case .durable(let future):
            unsettledWrites.append(future)
            return .durable(request.id, future)
        }
    }
}
