import NIOCore
import TidemarkProtocol

/// The place of one answer in a connection's output, kept in request order while some
/// answers still wait for the writer.
enum ResponseSlot {
    /// An answer (nil id: a notification, which gets none).
    case ready(RPCID?, Result<JSONValue, RPCError>)
    case durable(RPCID?, EventLoopFuture<JSONValue>)
    case batch([ResponseSlot])

    /// Waits for the answer and appends it; a batch becomes one JSON array line, and
    /// disappears when all its members were notifications.
    func write(into buffer: inout ByteBuffer) async {
        switch self {
        case .batch(let members):
            var responses: [JSONValue] = []
            for member in members {
                if let response = await member.response() { responses.append(response.json) }
            }
            guard !responses.isEmpty else { return }
            JSONWriter.write(.array(responses), into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\n"))
        default:
            await response()?.write(into: &buffer)
        }
    }

    private func response() async -> RPCResponse? {
        switch self {
        case .ready(let id, let result):
            return id.map { RPCResponse(id: $0, result: result) }
        case .durable(let id, let future):
            let result: Result<JSONValue, RPCError>
            do {
                result = .success(try await future.get())
            } catch {
                result = .failure(RPCError(serverError: error))
            }
            return id.map { RPCResponse(id: $0, result: result) }
        case .batch:
            preconditionFailure("batches do not nest")
        }
    }

    /// The write this slot waits for, if any.
    var pendingWrite: EventLoopFuture<JSONValue>? {
        if case .durable(_, let future) = self { return future }
        return nil
    }
}
