import NIOCore
import TidemarkProtocol

/// The place of one answer in a connection's output. Answers leave strictly in request
/// order, so one still waiting for the writer holds back those read after it.
///
/// Not Sendable: it lives on its connection's event loop.
final class PendingAnswer {
    private enum Content {
        /// Nil id: a notification, which gets no answer. Nil result: not answered yet.
        case single(RPCID?, Result<JSONValue, RPCError>?)
        /// A JSON-RPC batch, answered as one array line once every member is.
        case batch([PendingAnswer])
    }

    private var content: Content
    /// A watch accepted by this answer, started only once the answer is written, so its
    /// events follow it on the wire.
    var watchStart: WatchStart?

    init(id: RPCID?, result: Result<JSONValue, RPCError>? = nil) {
        content = .single(id, result)
    }

    init(batch members: [PendingAnswer]) {
        content = .batch(members)
    }

    func answer(_ result: Result<JSONValue, RPCError>) {
        guard case .single(let id, nil) = content else { preconditionFailure("answered twice, or a batch") }
        content = .single(id, result)
    }

    /// The watches this answer (or, for a batch, its members) accepted.
    var watchStarts: [WatchStart] {
        switch content {
        case .single: watchStart.map { [$0] } ?? []
        case .batch(let members): members.compactMap(\.watchStart)
        }
    }

    var isComplete: Bool {
        switch content {
        case .single(_, let result): result != nil
        case .batch(let members): members.allSatisfy(\.isComplete)
        }
    }

    /// Appends the answer's line, if it has one; only for a complete answer.
    func write(into buffer: inout ByteBuffer) {
        switch content {
        case .single(let id?, let result?):
            RPCResponse(id: id, result: result).write(into: &buffer)
        case .single(nil, _):
            break
        case .single(_, nil):
            preconditionFailure("written before it was answered")
        case .batch(let members):
            let responses = members.compactMap(\.response).map(\.json)
            // A batch of notifications only gets no line at all.
            guard !responses.isEmpty else { return }
            JSONWriter.write(.array(responses), into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
    }

    private var response: RPCResponse? {
        guard case .single(let id?, let result?) = content else { return nil }
        return RPCResponse(id: id, result: result)
    }
}
