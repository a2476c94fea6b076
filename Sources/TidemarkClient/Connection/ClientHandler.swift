import NIOCore
import TidemarkProtocol

/// Matches answers to requests by id and routes server notifications to a stream.
///
/// Lives on the channel's event loop, so its state needs no lock. Requests are written
/// without waiting for earlier answers (pipelining); the server answers a connection's
/// requests in order, which is what lets an answer with `id: null` (a line the server
/// could not read) be charged to the oldest request still waiting.
final class ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = [InboundFrame]
    typealias OutboundIn = PendingCall
    typealias OutboundOut = ByteBuffer

    private var pending: [Int64: EventLoopPromise<JSONValue>] = [:]
    /// Ids in the order they were written; trimmed lazily as answers arrive.
    private var order = CircularBuffer<Int64>()
    /// Set once the connection can no longer answer; later calls fail with it at once.
    private var terminalError: TidemarkClientError?
    private let notifications: AsyncStream<RPCNotification>.Continuation
    private let maxDepth: Int
    private let maxLineBytes: Int

    init(notifications: AsyncStream<RPCNotification>.Continuation, maxLineBytes: Int, maxDepth: Int) {
        self.notifications = notifications
        self.maxLineBytes = maxLineBytes
        self.maxDepth = maxDepth
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        if let terminalError {
            call.response.fail(terminalError)
            promise?.fail(terminalError)
            return
        }
        pending[call.id] = call.response
        order.append(call.id)
        // A failed write closes the channel, and `channelInactive` fails the call.
        context.write(wrapOutboundOut(call.line), promise: promise)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        for frame in unwrapInboundIn(data) {
            switch frame {
            case .line(let line):
                receive(line, context: context)
            case .oversized:
                failOldest(
                    TidemarkClientError(.invalidResponse, "an answer was longer than \(maxLineBytes) bytes"))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(TidemarkClientError(.connectionClosed, "the connection to the server was closed"))
        notifications.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(TidemarkClientError(.connectionClosed, "the connection to the server failed", cause: error))
        context.close(promise: nil)
    }

    private func receive(_ line: ByteBuffer, context: ChannelHandlerContext) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(line, maxDepth: maxDepth)
        } catch {
            protocolViolation("the server sent a line that is not JSON: \(error.message)", context: context)
            return
        }
        if case .array(let messages) = document {
            for message in messages { receive(message, context: context) }
        } else {
            receive(document, context: context)
        }
    }

    private func receive(_ message: JSONValue, context: ChannelHandlerContext) {
        if let object = message.objectValue, object["id"] == nil, let method = object["method"]?.stringValue {
            // Consumers skip methods they do not know; the client forwards them all.
            notifications.yield(RPCNotification(method: method, params: object["params"] ?? .null))
            return
        }
        let response: RPCResponse
        do {
            response = try RPCResponse(json: message)
        } catch {
            protocolViolation(error.message, context: context)
            return
        }
        switch response.id {
        case .number(let id):
            // An id we never sent (or already answered) cannot be anyone's answer.
            guard let promise = pending.removeValue(forKey: id) else { return }
            trimOrder()
            complete(promise, with: response.result)
        case .null:
            failOldest(response.result.failure.map(TidemarkClientError.server)
                ?? TidemarkClientError(.invalidResponse, "a result arrived without an id"))
        case .string:
            return
        }
    }

    // MARK: Completion

    private func complete(_ promise: EventLoopPromise<JSONValue>, with result: Result<JSONValue, RPCError>) {
        switch result {
        case .success(let value): promise.succeed(value)
        case .failure(let error): promise.fail(TidemarkClientError.server(error))
        }
    }

    private func failOldest(_ error: TidemarkClientError) {
        while let id = order.popFirst() {
            if let promise = pending.removeValue(forKey: id) {
                promise.fail(error)
                return
            }
        }
    }

    private func trimOrder() {
        while let first = order.first, pending[first] == nil { order.removeFirst() }
    }

    private func failAll(_ error: TidemarkClientError) {
        if terminalError == nil { terminalError = error }
        let waiting = pending
        pending.removeAll()
        order.removeAll()
        for promise in waiting.values { promise.fail(error) }
    }

    /// Once the stream holds something that is not an answer, no later answer can be
    /// trusted to belong where its id says: fail everything and close.
    private func protocolViolation(_ message: String, context: ChannelHandlerContext) {
        failAll(TidemarkClientError(.invalidResponse, message))
        context.close(promise: nil)
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
