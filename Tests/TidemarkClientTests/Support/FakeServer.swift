import NIOCore
import NIOPosix
import TidemarkProtocol

/// A scripted server for what a real one will not do on cue: hang up mid-call, send
/// notifications, answer with `id: null` or with garbage.
final class FakeServer: Sendable {
    enum Reply: Sendable {
        /// Raw lines, each sent with a `\n`.
        case lines([String])
        case close
        case nothing
    }

    let socketPath: String
    /// Every request received, in order.
    let received: AsyncStream<JSONValue>
    private let channel: any Channel

    private init(socketPath: String, received: AsyncStream<JSONValue>, channel: any Channel) {
        self.socketPath = socketPath
        self.received = received
        self.channel = channel
    }

    static func start(
        socketPath: String, reply: @escaping @Sendable (JSONValue) -> Reply
    ) async throws -> FakeServer {
        let (received, receiver) = AsyncStream.makeStream(of: JSONValue.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 1 << 20)))
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(receiver: receiver, reply: reply))
                }
            }
            .bind(unixDomainSocketPath: socketPath)
            .get()
        return FakeServer(socketPath: socketPath, received: received, channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    /// A success answer to `request`.
    static func result(_ result: JSONValue, to request: JSONValue) -> String {
        RPCResponse(id: RPCID(json: request["id"] ?? .null) ?? .null, result: .success(result)).json.jsonString
    }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = [InboundFrame]
    typealias OutboundOut = ByteBuffer

    let receiver: AsyncStream<JSONValue>.Continuation
    let reply: @Sendable (JSONValue) -> FakeServer.Reply

    init(receiver: AsyncStream<JSONValue>.Continuation, reply: @escaping @Sendable (JSONValue) -> FakeServer.Reply) {
        self.receiver = receiver
        self.reply = reply
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        for case .line(let line) in unwrapInboundIn(data) {
            let request = (try? JSONParser.parse(line)) ?? .null
            receiver.yield(request)
            switch reply(request) {
            case .lines(let lines):
                for line in lines {
                    context.write(wrapOutboundOut(ByteBuffer(string: line + "\n")), promise: nil)
                }
                context.flush()
            case .close:
                context.close(promise: nil)
            case .nothing:
                break
            }
        }
    }
}
