import NIOCore
import NIOPosix
import Synchronization
import TidemarkProtocol

/// Lines received from the server, waited for with a deadline.
final class LineInbox: Sendable {
    private struct State {
        var lines: [ByteBuffer] = []
        var head = 0
        var closed = false
        var waiter: CheckedContinuation<ByteBuffer?, Never>?
        /// Which wait the waiter belongs to, so a late cancellation cannot end the next one.
        var waiterSlot = 0
        var waiterID = 0
    }

    private let state = Mutex(State())

    func push(_ line: ByteBuffer) {
        let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.lines.append(line)
            return nil
        }
        waiter?.resume(returning: line)
    }

    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next line, or nil when the connection ended or `timeout` passed first.
    func next(timeout: Duration) async -> ByteBuffer? {
        await withTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { await self.next() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// The next line, or nil when the connection ended or the task was cancelled.
    private func next() async -> ByteBuffer? {
        let id = state.withLock { state -> Int in
            state.waiterID += 1
            return state.waiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
                enum Now { case line(ByteBuffer), ended, waiting }
                let now = state.withLock { state -> Now in
                    if state.head < state.lines.count {
                        let line = state.lines[state.head]
                        state.head += 1
                        if state.head == state.lines.count {
                            state.lines.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        return .line(line)
                    }
                    if state.closed || Task.isCancelled { return .ended }
                    state.waiter = continuation
                    state.waiterSlot = id
                    return .waiting
                }
                switch now {
                case .line(let line): continuation.resume(returning: line)
                case .ended: continuation.resume(returning: nil)
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
                guard state.waiterSlot == id, let waiter = state.waiter else { return nil }
                state.waiter = nil
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}

private final class InboxHandler: ChannelInboundHandler {
    typealias InboundIn = [InboundFrame]
    let inbox: LineInbox

    init(inbox: LineInbox) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        for case .line(let line) in unwrapInboundIn(data) { inbox.push(line) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox.close()
        context.close(promise: nil)
    }
}

/// Errors of the conformance runner's own connection.
public enum ConformanceError: Error, CustomStringConvertible {
    case connect(String, String)
    case cases(String)

    public var description: String {
        switch self {
        case .connect(let path, let reason): "cannot connect to \(path): \(reason)"
        case .cases(let reason): reason
        }
    }
}

/// A raw NDJSON connection: sends exact bytes, receives lines. Independent of the
/// Tidemark client, so the suite sees exactly what the server puts on the wire.
struct LineConnection: Sendable {
    let channel: any Channel
    let inbox: LineInbox
    static let defaultTimeout: Duration = .seconds(10)

    static func connect(_ socketPath: String) async throws -> LineConnection {
        let inbox = LineInbox()
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 256 << 20)))
                        try channel.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox))
                    }
                }
                .connect(unixDomainSocketPath: socketPath).get()
            return LineConnection(channel: channel, inbox: inbox)
        } catch {
            throw ConformanceError.connect(socketPath, "\(error)")
        }
    }

    static func with<R: Sendable>(_ socketPath: String, _ body: (LineConnection) async throws -> R) async throws -> R {
        let connection = try await connect(socketPath)
        do {
            let result = try await body(connection)
            connection.close()
            return result
        } catch {
            connection.close()
            throw error
        }
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func send(json: JSONValue) async throws {
        try await send(json.jsonString + "\n")
    }

    /// The next line as text (nil on timeout or end of stream).
    func nextLine(timeout: Duration = defaultTimeout) async -> String? {
        guard let buffer = await inbox.next(timeout: timeout) else { return nil }
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    /// The next line parsed; `.string("<unparsable: …>")` if it is not JSON, nil on timeout.
    func nextJSON(timeout: Duration = defaultTimeout) async -> JSONValue? {
        guard let buffer = await inbox.next(timeout: timeout) else { return nil }
        do {
            return try JSONParser.parse(buffer)
        } catch {
            return .string("<unparsable line: \(String(decoding: buffer.readableBytesView, as: UTF8.self).prefix(300))>")
        }
    }

    /// The next line that is not a notification (no `method`).
    func nextResponse(timeout: Duration = defaultTimeout) async -> JSONValue? {
        while let value = await nextJSON(timeout: timeout) {
            if value["method"] == nil { return value }
        }
        return nil
    }

    /// Sends one request and returns the next non-notification line.
    func call(_ method: String, _ params: JSONValue? = nil, id: Int64 = 1) async throws -> JSONValue? {
        var object = JSONObject([("jsonrpc", "2.0"), ("id", .integer(id)), ("method", .string(method))])
        if let params { object["params"] = params }
        try await send(json: .object(object))
        return await nextResponse()
    }

    func finishSending() async {
        try? await channel.close(mode: .output).get()
    }

    func close() {
        channel.close(promise: nil)
    }
}
