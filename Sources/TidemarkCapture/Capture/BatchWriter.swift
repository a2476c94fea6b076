import Synchronization
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

/// The writing side of a session: takes the backlog's transactions in order and sends
/// each batch of them as one sourced write, keeping at most `window` writes unanswered.
///
/// While the window is full the backlog grows, and the next write records all of it
/// that fits one batch: at a low rate every transaction is its own record, sent at once;
/// when Tidemark is the bottleneck, one write carries many.
struct BatchWriter {
    let sourceName: String
    /// The position of the last transaction Tidemark has or was sent: the next write's
    /// `after`.
    private(set) var recordedPosition: UInt64
    let window: Int
    let limits: TransactionBatch.Limits
    private var inFlight: [TidemarkReply] = []
    private var inFlightHead = 0
    /// Writes sent and not answered yet (`inFlight` also holds answered ones until it
    /// reaches them).
    private let unanswered = UnansweredWrites()

    init(sourceName: String, recordedPosition: UInt64, window: Int, limits: TransactionBatch.Limits) {
        self.sourceName = sourceName
        self.recordedPosition = recordedPosition
        self.window = window
        self.limits = limits
    }

    /// Sends until the backlog is finished, handing every batch to the acknowledger.
    mutating func run(_ backlog: TransactionBacklog, _ client: TidemarkClient, queue: AsyncStream<PendingWrite>.Continuation) async {
        var windowWasFull = false
        while true {
            // Only a backlog that built while the window was full is merged: otherwise each
            // transaction keeps a record of its own, which `why` and `log` show as such.
            var batchLimits = limits
            if !windowWasFull { batchLimits.maxTransactions = 1 }
            var batch = TransactionBatch(limits: batchLimits, recordedPosition: recordedPosition)
            guard await backlog.take(into: &batch) else { return }
            var reply: TidemarkReply?
            if batch.written > 0 {
                let source = SourcePosition(name: sourceName, position: batch.lastCommitLSN, after: recordedPosition)
                let params = WriteMethod.Params(changes: batch.changes, meta: batch.meta, source: source)
                let sent = client.send(RPCMethod.write.rawValue, params: params.json)
                unanswered.sent(sent)
                recordedPosition = batch.lastCommitLSN
                reply = sent
                windowWasFull = await keepWindow(sent)
            }
            queue.yield(PendingWrite(reply: reply, endLSN: batch.endLSN))
        }
    }

    /// Bounds the writes in flight: past `window`, waits for the oldest answer (whose
    /// failure the acknowledger reports). Returns whether more than `window` writes were
    /// unanswered.
    private mutating func keepWindow(_ reply: TidemarkReply) async -> Bool {
        inFlight.append(reply)
        let full = unanswered.count > window
        while inFlight.count - inFlightHead > window {
            _ = try? await inFlight[inFlightHead].value()
            inFlightHead += 1
        }
        if inFlightHead > 4096 {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
        return full
    }
}

/// A count the event loop lowers as answers arrive.
private final class UnansweredWrites: Sendable {
    private let value = Atomic<Int>(0)

    var count: Int { value.load(ordering: .relaxed) }

    func sent(_ reply: TidemarkReply) {
        value.add(1, ordering: .relaxed)
        reply.whenAnswered { [self] in value.subtract(1, ordering: .relaxed) }
    }
}
