import NIOCore
import NIOPosix
import TidemarkProtocol

/// A raw newline-delimited connection for tests: sends exact bytes, receives lines and
/// parses them, so tests see precisely what the server puts on the wire.
struct LineClient: Sendable {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let lines: AsyncStream<ByteBuffer>
    private let gate: AsyncStream<Void>.Continuation

    /// Connects, runs `body`, and closes the connection when it returns. With `paused`,
    /// nothing is read from the socket until `resumeReading()`, like a stalled client.
    static func with<Result: Sendable>(
        _ socketPath: String, paused: Bool = false, _ body: @Sendable (LineClient) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 64 << 20)))
                    return try NIOAsyncChannel<[InboundFrame], ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let (lines, sink) = AsyncStream.makeStream(of: ByteBuffer.self)
            let (opened, gate) = AsyncStream.makeStream(of: Void.self)
            if !paused { gate.yield() }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { sink.finish() }
                    for await _ in opened { break }
                    for try await frames in inbound {
                        for case .line(let line) in frames { sink.yield(line) }
                    }
                }
                defer { group.cancelAll() }
                return try await body(LineClient(outbound: outbound, lines: lines, gate: gate))
            }
        }
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    func send(bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Sends one request line and returns the parsed response line.
    func request(_ method: String, _ params: JSONValue? = nil, id: Int64 = 1) async throws -> JSONValue {
        try await send(RPCRequest(id: .number(id), method: method, params: params).json.jsonString + "\n")
        return try await nextJSON()
    }

    /// The `result` of a request, failing the test's expectations if it was an error.
    func result(_ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        let response = try await request(method, params)
        guard let result = response.objectValue?["result"] else { throw LineClientError.errorResponse(response) }
        return result
    }

    /// The next line from the server, parsed; fails if the connection ends first.
    func nextJSON() async throws -> JSONValue {
        guard let line = await nextLine() else { throw LineClientError.closed }
        return try JSONParser.parse(line)
    }

    func nextLine() async -> ByteBuffer? {
        var iterator = lines.makeAsyncIterator()
        return await iterator.next()
    }

    func resumeReading() {
        gate.yield()
    }

    /// Half-closes: the server sees end of input but can still answer.
    func finishSending() {
        outbound.finish()
    }
}

enum LineClientError: Error {
    case closed
    case errorResponse(JSONValue)
}
