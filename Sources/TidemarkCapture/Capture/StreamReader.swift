import Logging
import NIOCore
import Synchronization
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

/// The reading side of a session: PostgreSQL's stream in, Tidemark writes out, in order.
struct StreamReader {
    var assembler: TransactionAssembler
    let sourceName: String
    /// The position of the last transaction Tidemark has or was sent: the next write's
    /// `after`.
    var lastPosition: UInt64
    let window: Int
    private var inFlight: [TidemarkReply] = []
    private var inFlightHead = 0

    init(assembler: TransactionAssembler, sourceName: String, lastPosition: UInt64, window: Int) {
        self.assembler = assembler
        self.sourceName = sourceName
        self.lastPosition = lastPosition
        self.window = window
    }

    mutating func read(
        _ postgres: PostgresConnection, _ client: TidemarkClient, queue: AsyncStream<PendingWrite>.Continuation,
        state: SessionFlow
    ) async throws {
        while true {
            switch try await postgres.next() {
            case .copyData(let buffer):
                switch try ReplicationMessage(buffer) {
                case .data(_, _, let payload):
                    let message: PgOutputMessage
                    do {
                        message = try PgOutputMessage(payload)
                    } catch {
                        // Inside a transaction its rows are then unknown, so everything
                        // counts as changed; between transactions there is nothing to lose.
                        assembler.markUnreadable()
                        continue
                    }
                    if let transaction = assembler.handle(message) {
                        try await send(transaction, client, queue: queue, state: state)
                    }
                case .keepalive(let walEnd, let replyRequested):
                    let inTransaction = assembler.inTransaction
                    let position = state.withLock { flow in
                        // The server has sent everything before walEnd; once all of it is
                        // recorded, the slot may pass transactions it had nothing to send for.
                        if !inTransaction && flow.allAcknowledged { flow.confirmable = max(flow.confirmable, walEnd) }
                        if replyRequested { flow.reported = flow.confirmable }
                        return flow.confirmable
                    }
                    if replyRequested {
                        try await postgres.send(
                            ReplicationMessage.statusUpdate(flushed: position, now: Clock.unixMicroseconds(), allocator: postgres.allocator))
                    }
                }
            case .error(let notice):
                throw notice.error
            case .copyDone:
                throw CaptureError(.connection, "PostgreSQL ended the replication stream")
            default:
                continue
            }
        }
    }

    private mutating func send(
        _ transaction: CapturedTransaction, _ client: TidemarkClient, queue: AsyncStream<PendingWrite>.Continuation,
        state: SessionFlow
    ) async throws {
        var reply: TidemarkReply?
        // At or below the recorded position, Tidemark already has it (a resend after a crash).
        if transaction.commitLSN > lastPosition && !transaction.changes.isEmpty {
            let source = SourcePosition(name: sourceName, position: transaction.commitLSN, after: lastPosition)
            let params = WriteMethod.Params(changes: transaction.changes, meta: Self.meta(transaction), source: source)
            reply = client.send(RPCMethod.write.rawValue, params: params.json)
            lastPosition = transaction.commitLSN
            try await keepWindow(reply!)
        }
        state.withLock { $0.sentEnd = transaction.endLSN }
        queue.yield(PendingWrite(reply: reply, endLSN: transaction.endLSN))
    }

    /// Bounds the writes in flight: past `window`, waits for the oldest answer (whose
    /// failure the acknowledger reports).
    private mutating func keepWindow(_ reply: TidemarkReply) async throws {
        inFlight.append(reply)
        while inFlight.count - inFlightHead > window {
            _ = try? await inFlight[inFlightHead].value()
            inFlightHead += 1
        }
        if inFlightHead > 4096 {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
    }

    static func meta(_ transaction: CapturedTransaction) -> JSONObject {
        [
            "source": "postgres",
            "lsn": .string(WALPosition(transaction.commitLSN).description),
            "xid": JSONValue(UInt64(transaction.xid)),
            "commit_time_us": JSONValue(UInt64(max(transaction.commitTime, 0))),
        ]
    }
}
