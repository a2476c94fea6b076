import NIOCore

#if canImport(Glibc)
import Glibc
import TidemarkProtocol
#endif

/// One benchmark connection: keeps `pipeline` requests in flight, matches answers to
/// requests by order (the server answers a connection in order), records each latency,
/// and writes the replacements of a read burst with one flush.
final class LoadConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let plan: LoadPlan
    private let recorder: LoopRecorder
    private var random: SplitMix64
    private var window: LoadWindow?
    private var finished: EventLoopPromise<Void>?
    /// Send time and operation of each request in flight, oldest first (a ring).
    private var inFlight: [(sent: UInt64, operation: BenchOperation)]
    private var inFlightHead = 0
    private var inFlightCount = 0
    private var nextID = 1
    private var pending: ByteBuffer?
    private var outbound: ByteBuffer?
    private var stopped = false

    init(plan: LoadPlan, recorder: LoopRecorder, seed: UInt64) {
        self.plan = plan
        self.recorder = recorder
        self.random = SplitMix64(seed: seed)
        inFlight = Array(repeating: (0, .check), count: plan.pipeline)
    }

    /// Starts sending; `finished` succeeds once the window is over and every answer is in.
    func start(window: LoadWindow, finished: EventLoopPromise<Void>, context: ChannelHandlerContext) {
        self.window = window
        self.finished = finished
        var buffer = context.channel.allocator.buffer(capacity: 256 * plan.pipeline)
        let now = Self.now()
        for _ in 0..<plan.pipeline { enqueue(at: now, into: &buffer) }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func enqueue(at now: UInt64, into buffer: inout ByteBuffer) {
        let operation = plan.operation(using: &random)
        plan.encoder.write(operation, id: nextID, keys: plan.keys, random: &random, into: &buffer)
        nextID += 1
        inFlight[(inFlightHead + inFlightCount) % inFlight.count] = (now, operation)
        inFlightCount += 1
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if pending != nil {
            pending!.writeBuffer(&incoming)
        } else {
            pending = incoming
        }
        guard let window else { return }
        let now = Self.now()
        var answered = 0
        var errors = 0
        var consumed = 0
        pending!.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count,
                let newline = memchr(bytes.baseAddress! + offset, Int32(UInt8(ascii: "\n")), bytes.count - offset)
            {
                let end = bytes.baseAddress!.distance(to: UnsafeRawPointer(newline))
                if Self.isError(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) { errors += 1 }
                answered += 1
                offset = end + 1
            }
            consumed = offset
        }
        pending!.moveReaderIndex(forwardBy: consumed)
        if pending!.readableBytes == 0 { pending = nil }
        guard answered > 0 else { return }
        recorder.recordAnswers(answered)
        let inWindow = now >= window.start && now <= window.end
        for _ in 0..<answered {
            // An answer nothing was sent for (a notification) counts as an error.
            guard inFlightCount > 0 else {
                recorder.recordError()
                continue
            }
            let request = inFlight[inFlightHead]
            inFlightHead = (inFlightHead + 1) % inFlight.count
            inFlightCount -= 1
            if inWindow { recorder.record(latencyNanoseconds: now &- request.sent, operation: request.operation) }
        }
        for _ in 0..<errors { recorder.recordError() }
        if now < window.end && !stopped {
            if outbound == nil { outbound = context.channel.allocator.buffer(capacity: 256 * answered) }
            for _ in 0..<answered { enqueue(at: now, into: &outbound!) }
        } else if inFlightCount == 0 {
            finish(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let buffer = outbound {
            outbound = nil
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let finished {
            self.finished = nil
            finished.fail(BenchError("the server closed a benchmark connection with \(inFlightCount) requests unanswered"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let finished {
            self.finished = nil
            finished.fail(BenchError("a benchmark connection failed", cause: error))
        }
        context.close(promise: nil)
    }

    private func finish(context: ChannelHandlerContext) {
        stopped = true
        guard let finished else { return }
        self.finished = nil
        finished.succeed()
    }

    /// Whether an answer line is an error response. The server writes `jsonrpc` and `id`
    /// first, so the member after the id is `"result"` or `"error"`.
    static func isError(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let idStart = find(#""id":"#, in: line, from: 0) else { return true }
        var index = idStart
        while index + 2 < line.count {
            if line[index] == UInt8(ascii: ",") && line[index + 1] == UInt8(ascii: "\"") {
                return line[index + 2] == UInt8(ascii: "e")
            }
            index += 1
        }
        return true
    }

    private static func find(_ needle: StaticString, in haystack: UnsafeRawBufferPointer, from start: Int) -> Int? {
        let count = needle.utf8CodeUnitCount
        guard haystack.count >= count else { return nil }
        var index = start
        while index + count <= haystack.count {
            if memcmp(haystack.baseAddress! + index, needle.utf8Start, count) == 0 { return index + count }
            index += 1
        }
        return nil
    }

    static func now() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds
    }
}
