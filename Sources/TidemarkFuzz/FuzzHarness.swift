#if DEBUG || TIDEMARK_FUZZ
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
@testable import TidemarkProtocol
@testable import TidemarkServer
import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

/// One server, set up once per process, that every fuzz input is fed to as if it were one
/// connection: its bytes go through the real line framing, the real connection handler
/// (envelope decoding, ordering, batches, watches) and the real dispatcher and writer
/// against an LMDB store in a temporary directory. After each input the invariants of
/// `InvariantCheck` are checked, and a violation traps, which libFuzzer reports.
final class FuzzHarness: Sendable {
    /// Small limits, so short inputs reach every limit's branch.
    static let limits: ProtocolLimits = {
        var store = StoreLimits()
        store.maxTableBytes = 16
        store.maxKeyBytes = 16
        store.maxNameBytes = 16
        var limits = ProtocolLimits(store: store)
        limits.maxLineBytes = 1024
        limits.maxBatch = 8
        limits.maxChanges = 4
        limits.maxKeysPerChange = 8
        limits.maxDeps = 4
        limits.maxEntries = 4
        limits.maxTables = 4
        limits.maxMetaBytes = 128
        limits.maxLogLimit = 16
        limits.maxInvalidated = 2
        return limits
    }()

    /// The time never moves: no lease or TTL ends by itself, so every change of state
    /// must come from a request that was answered with success (or from a notification).
    static let frozenTime: Milliseconds = 1_767_225_600_000

    /// Records kept between inputs. The log would otherwise grow with every input, and a
    /// `watch {from: 1}` replaying all of it makes an input slower and slower until
    /// libFuzzer calls it a timeout.
    static let retainedRecords: LSN = 256

    let store: LMDBStore
    let directory: String
    private let writer: GroupCommitWriter
    private let hub: WatchHub
    private let dispatcher: RequestDispatcher
    private let eventLoop: any EventLoop
    private let grant: ConnectionGrant
    private let shutdown = ShutdownFlag()
    private let epochText: [UInt8]

    static let shared: FuzzHarness = {
        do {
            return try FuzzHarness()
        } catch {
            fatalError("fuzz harness setup failed: \(error)")
        }
    }()

    private init() throws {
        let base = getenv("TIDEMARK_FUZZ_DIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/tidemark-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp in \(base) failed: errno \(errno)") }
        directory = String(cString: made)
        var options = LMDBStore.Options()
        options.durable = false
        options.mapSize = 2 << 30
        options.limits.maxTableBytes = Self.limits.maxTableBytes
        options.limits.maxKeyBytes = Self.limits.maxKeyBytes
        options.limits.maxNameBytes = Self.limits.maxNameBytes
        store = try LMDBStore(path: "\(directory)/data", options: options, clock: { FuzzHarness.frozenTime })
        var logger = Logger(label: "tidemark-fuzz")
        logger.logLevel = .critical
        let hub = WatchHub(lastPublished: try store.currentLSN())
        self.hub = hub
        let writer = GroupCommitWriter(store: store, logger: logger, onCommit: hub.publish)
        self.writer = writer
        dispatcher = RequestDispatcher(
            store: store, writer: writer, hub: hub, limits: Self.limits,
            statistics: ServerStatistics(startedAt: Self.frozenTime), clock: { FuzzHarness.frozenTime })
        eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        grant = ConnectionGrant(peer: Peer(pid: getpid(), uid: getuid(), gid: getgid()), mayWrite: true, mayRead: true)
        epochText = Array(store.epoch.hex.utf8)
        // The writer lives as long as the process: libFuzzer calls the target from a
        // plain C loop, so there is no enclosing task for it to be a child of.
        Task.detached { try await writer.run() }
    }

    /// Feeds one input through the server and traps on any broken invariant.
    func run(_ input: [UInt8]) {
        let bytes = substitutingEpoch(input)
        let before = snapshot()
        let groups = frame(bytes)
        InvariantCheck.framing(groups.flatMap { $0 }, of: bytes, maxLineBytes: Self.limits.maxLineBytes)
        InvariantCheck.compactDecoding(groups.flatMap { $0 }, limits: Self.limits)
        let output = serve(bytes)
        let answers = InvariantCheck.answers(output, to: groups.flatMap { $0 }, limits: Self.limits)
        let after = snapshot()
        InvariantCheck.state(before: before, after: after, answers: answers)
        trimLog(after)
    }

    /// Compacts through the writer (the store's only writer), between inputs, so no
    /// input's invariants see it.
    private func trimLog(_ statistics: StoreStatistics) {
        guard statistics.lsn >= statistics.oldest + 2 * Self.retainedRecords else { return }
        let promise = eventLoop.makePromise(of: MutationOutcome.self)
        writer.submit(
            MutationRequest(.compact(before: statistics.lsn - Self.retainedRecords), peer: grant.peer), promise: promise)
        do {
            _ = try promise.futureResult.wait()
        } catch {
            InvariantCheck.violated("compacting between inputs failed: \(error)")
        }
    }

    /// `$epoch` (as in the conformance vectors the seeds come from) stands for this
    /// store's epoch, so mutated seeds can still name valid stamps.
    private func substitutingEpoch(_ input: [UInt8]) -> [UInt8] {
        let token = Array("$epoch".utf8)
        guard input.count >= token.count else { return input }
        var output: [UInt8] = []
        output.reserveCapacity(input.count + 32)
        var index = 0
        while index < input.count {
            if input[index] == token[0], index + token.count <= input.count,
               input[index..<index + token.count].elementsEqual(token) {
                output += epochText
                index += token.count
            } else {
                output.append(input[index])
                index += 1
            }
        }
        return output
    }

    private static func chunkSize(of bytes: [UInt8]) -> Int {
        let chunkSizes = [Int.max, 1, 7, 100]
        let chunk = chunkSizes[bytes.count % chunkSizes.count]
        return chunk == 1 && bytes.count > 512 ? 13 : chunk
    }

    /// Splits the bytes into groups of frames with the server's own decoder, delivering
    /// them in chunks (whole, or 1, 7 or 100 bytes at a time, picked by the length) and
    /// then half-closing, as a client ending its input would.
    private func frame(_ bytes: [UInt8]) -> [[InboundFrame]] {
        let chunk = Self.chunkSize(of: bytes)
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(LineFrameDecoder(maxLineBytes: Self.limits.maxLineBytes)))
        var groups: [[InboundFrame]] = []
        func drain() {
            while let group = try? channel.readInbound(as: [InboundFrame].self) { groups.append(group) }
        }
        do {
            var start = 0
            while start < bytes.count {
                let end = bytes.count - start > chunk ? start + chunk : bytes.count
                try channel.writeInbound(ByteBuffer(bytes: bytes[start..<end]))
                drain()
                start = end
            }
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            drain()
            _ = try channel.finish(acceptAlreadyClosed: true)
        } catch {
            InvariantCheck.violated("framing threw \(error)")
        }
        return groups
    }

    /// Serves the bytes on one end of a socket pair exactly as the server serves a
    /// connection (the real framing, connection handler and connection task), writing them
    /// in the input's chunk size and then half-closing; returns everything it answered.
    private func serve(_ bytes: [UInt8]) -> ByteBuffer {
        var descriptors: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &descriptors) == 0 else {
            InvariantCheck.violated("socketpair failed: errno \(errno)")
        }
        let (served, client) = (descriptors[0], descriptors[1])
        let (dispatcher, hub, grant, shutdown) = (self.dispatcher, self.hub, self.grant, self.shutdown)
        let finished = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        // Bridges libFuzzer's synchronous callback to the connection's task; the task ends
        // (the handler has answered everything and the channel is closed) before this
        // returns.
        Task.detached {
            do {
                let (channel, watchStarts) = try await ClientBootstrap(group: self.eventLoop)
                    .channelOption(.allowRemoteHalfClosure, value: true)
                    .withConnectedSocket(served) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let watchStarts = try ConnectionHandler.install(
                                on: channel, dispatcher: dispatcher, hub: hub, grant: grant, shutdown: shutdown,
                                limits: Self.limits)
                            return (try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel), watchStarts)
                        }
                    }
                try await ConnectionHandler.runWatches(watchStarts, of: channel, hub: hub)
            } catch {
                failure.withLock { $0 = error }
            }
            finished.signal()
        }
        let chunk = Self.chunkSize(of: bytes)
        // Written from another thread: the answers may fill the socket's buffer before the
        // input is all written, and reading them here keeps both moving.
        DispatchQueue.global().async {
            bytes.withUnsafeBytes { raw in
                var start = 0
                while start < raw.count {
                    let end = min(start + chunk, raw.count)
                    let written = write(client, raw.baseAddress! + start, end - start)
                    // libFuzzer's timeout alarm can interrupt a write; the input must
                    // still arrive whole.
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { break }
                    start += written
                }
            }
            Glibc.shutdown(client, Int32(SHUT_WR))
        }
        var output = ByteBuffer()
        var scratch = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = scratch.withUnsafeMutableBytes { read(client, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output.writeBytes(scratch[0..<count])
        }
        finished.wait()
        close(client)
        if let error = failure.withLock({ $0 }) {
            InvariantCheck.violated("the connection failed: \(error)")
        }
        return output
    }

    /// For runs that end normally; libFuzzer's own exits leave it to `make fuzz`.
    func removeDirectory() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func snapshot() -> StoreStatistics {
        do {
            return try store.statistics()
        } catch {
            InvariantCheck.violated("statistics failed: \(error)")
        }
    }
}
#endif
