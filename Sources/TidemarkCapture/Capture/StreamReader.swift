import Logging
import NIOCore
import Synchronization
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

/// The reading side of a session: PostgreSQL's stream in, committed transactions into
/// the backlog (which `BatchWriter` sends on), in order.
struct StreamReader {
    var assembler: TransactionAssembler
    let backlog: TransactionBacklog

    mutating func read(_ postgres: PostgresConnection, state: SessionFlow) async throws {
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
                        // Counted as sent before it is queued: the slot must not pass it on a
                        // keepalive while it waits in the backlog.
                        state.withLock { $0.sentEnd = transaction.endLSN }
                        await backlog.append(transaction)
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
}
