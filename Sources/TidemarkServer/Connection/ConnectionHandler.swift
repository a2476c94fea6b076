import NIOCore
import TidemarkProtocol
import TidemarkStore

/// Serves one connection on its own event loop: decodes each line as it arrives, answers
/// reads at once and mutations when the writer has made them durable, and writes the
/// answers in request order with one flush per burst of input or of commits. Serving on
/// the event loop, rather than in a task fed through an async stream, saves two thread
/// hand-offs per request, which cost more than the request itself.
///
/// Order: a read waits for the connection's earlier writes to be durable, so it sees them,
/// and everything read after it waits too; consecutive writes are queued together, so a
/// pipelining writer shares fsyncs instead of paying one per request.
///
/// Watches are accepted here and handed to the connection's task (`watchStarts`), which
/// runs their pumps; it ends when this handler finishes that stream.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = [InboundFrame]
    typealias InboundOut = Never
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// With this many answers unwritten or requests waiting, the connection stops reading
    /// until the client (or the writer) catches up, so one client cannot queue unbounded
    /// work.
    static let maxOutstanding = 1024

    /// Requests handled in one go before their answers are written. One read can hold
    /// thousands of pipelined requests; writing every so often lets the channel turn
    /// unwritable when the client is not reading, and handling stops there instead of
    /// computing (and buffering) answers for the whole read.
    static let answersPerWrite = 256

    let dispatcher: any RequestRouter
    /// The dispatcher's, read once: it is asked about every mutation held back.
    private let mutationsQueueInOrder: Bool
    let hub: WatchHub
    let grant: ConnectionGrant
    let shutdown: ShutdownFlag
    let limits: ProtocolLimits
    private let watchStarts: AsyncStream<WatchStart>.Continuation

    private enum State {
        case open
        /// No more input (the client half-closed, or shutdown's grace ended): what was read
        /// is still answered.
        case inputClosed
        /// Everything is answered; the connection's task closes the channel.
        case finished
        case closed
    }

    /// A request read but not yet handled; its answer already holds its place in order.
    struct Work {
        let request: RPCRequest
        let method: RPCMethod
        let answer: PendingAnswer
        /// The params of a `check` decoded straight from its bytes, when it had the usual
        /// shape (`request.params` is then nil).
        var check: CheckMethod.Params? = nil
    }

    private var state = State.open
    private var backlog = CircularBuffer<Work>()
    private var answers = CircularBuffer<PendingAnswer>()
    /// This connection's mutations not yet durable.
    private var unsettledWrites = 0
    var watches: Set<UInt64> = []
    private var readHeld = false
    /// Set while `handleBacklog` runs: writing answers from it can call back into it
    /// (through a writability change or an already completed write), and the running loop
    /// sees whatever changed on its next turn.
    private var handlingBacklog = false
    private var writeScheduled = false

    init(
        dispatcher: any RequestRouter, hub: WatchHub, grant: ConnectionGrant, shutdown: ShutdownFlag,
        limits: ProtocolLimits, watchStarts: AsyncStream<WatchStart>.Continuation
    ) {
        self.dispatcher = dispatcher
        mutationsQueueInOrder = dispatcher.appliesMutationsInOrder
        self.hub = hub
        self.grant = grant
        self.shutdown = shutdown
        self.limits = limits
        self.watchStarts = watchStarts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state == .open else { return }
        for frame in unwrapInboundIn(data) {
            answers.append(admit(frame))
        }
        handleBacklog(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        writeAnswers(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if state == .open { state = .inputClosed }
        // The framing hands over a last line without a newline just before this event,
        // with no read-complete after it.
        writeAnswers(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        // Requests held back for an unwritable channel: the writes among them still count.
        handleBacklog(context: context)
        for id in watches { hub.unsubscribe(id) }
        watches.removeAll()
        watchStarts.finish()
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if holdsReads(context: context) {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            handleBacklog(context: context)
            writeAnswers(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func enqueue(_ work: Work) {
        backlog.append(work)
    }

    /// Handles the waiting requests in order, up to the first read that must wait for this
    /// connection's writes, or until the answers fill the channel.
    private func handleBacklog(context: ChannelHandlerContext) {
        guard !handlingBacklog else { return }
        handlingBacklog = true
        defer { handlingBacklog = false }
        var handledSinceWrite = 0
        while let work = backlog.first {
            // A closed connection's writes still count (they were sent); its reads have
            // no one to answer, and a watch would outlive it.
            if state == .closed && !work.method.isMutation {
                backlog.removeFirst()
                continue
            }
            if let refusal = refusal(of: work.method) {
                backlog.removeFirst()
                work.answer.answer(.failure(refusal))
                dispatcher.metrics?.requestFinished(work.method, succeeded: false, nanoseconds: 0)
                continue
            }
            // The client is not reading what it was already sent: the rest waits for
            // `channelWritabilityChanged`.
            if state != .closed && !context.channel.isWritable { return }
            // Anything but a mutation must see this connection's earlier writes; a
            // mutation queues behind them in the writer, or on a backend without that
            // queue waits for them, so it cannot overtake them.
            if unsettledWrites > 0 && (!work.method.isMutation || !mutationsQueueInOrder) { return }
            backlog.removeFirst()
            handle(work, context: context)
            handledSinceWrite += 1
            if handledSinceWrite == Self.answersPerWrite {
                handledSinceWrite = 0
                writeAnswers(context: context)
            }
        }
    }

    private func handle(_ work: Work, context: ChannelHandlerContext) {
        let metrics = dispatcher.metrics
        let started = metrics == nil ? nil : NIODeadline.now()
        switch respond(to: work, eventLoop: context.eventLoop) {
        case .done(let result):
            work.answer.answer(result)
            if let metrics, let started {
                metrics.requestFinished(work.method, succeeded: (try? result.get()) != nil, nanoseconds: (NIODeadline.now() - started).nanoseconds)
            }
        case .durable(let future):
            unsettledWrites += 1
            future.assumeIsolated().whenComplete { result in
                self.unsettledWrites -= 1
                work.answer.answer(result.mapError { RPCError(serverError: $0) })
                if let metrics, let started {
                    metrics.requestFinished(work.method, succeeded: (try? result.get()) != nil, nanoseconds: (NIODeadline.now() - started).nanoseconds)
                }
                if self.unsettledWrites == 0 { self.handleBacklog(context: context) }
                self.scheduleWriteAnswers(context: context)
            }
        }
    }

    /// The writer answers a whole batch at once: one write and flush for all of it.
    private func scheduleWriteAnswers(context: ChannelHandlerContext) {
        guard !writeScheduled else { return }
        writeScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.writeScheduled = false
            self.writeAnswers(context: context)
        }
    }

    /// Writes the answers that are complete, from the oldest up to the first still waiting.
    private func writeAnswers(context: ChannelHandlerContext) {
        guard state != .closed else {
            answers.removeAll()
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 0)
        var wrote = false
        while let answer = answers.first, answer.isComplete {
            answers.removeFirst()
            answer.write(into: &buffer)
            let starts = answer.watchStarts
            if !starts.isEmpty {
                // The watches' events must follow this answer on the wire.
                context.write(wrapOutboundOut(buffer), promise: nil)
                buffer = context.channel.allocator.buffer(capacity: 0)
                wrote = true
                for start in starts { watchStarts.yield(start) }
            }
        }
        if buffer.readableBytes > 0 {
            context.write(wrapOutboundOut(buffer), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
        resumeReading(context: context)
        finishIfAnswered(context: context)
    }

    /// Once the input is closed and everything read is answered, ends the connection's
    /// task, which closes the channel, after the last answer has reached the socket.
    private func finishIfAnswered(context: ChannelHandlerContext) {
        guard state == .inputClosed, backlog.isEmpty, answers.isEmpty else { return }
        state = .finished
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in self.watchStarts.finish() }
    }

    private func holdsReads(context: ChannelHandlerContext) -> Bool {
        !context.channel.isWritable || answers.count >= Self.maxOutstanding || backlog.count >= Self.maxOutstanding
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard readHeld, !holdsReads(context: context) else { return }
        readHeld = false
        context.read()
    }
}
