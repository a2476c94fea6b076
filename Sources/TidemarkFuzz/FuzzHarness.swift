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
        let output = serve(groups)
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

    /// Splits the bytes into groups of frames with the server's own decoder, delivering
    /// them in chunks (whole, or 1, 7 or 100 bytes at a time, picked by the length) and
    /// then half-closing, as a client ending its input would.
    private func frame(_ bytes: [UInt8]) -> [[InboundFrame]] {
        let chunkSizes = [Int.max, 1, 7, 100]
        var chunk = chunkSizes[bytes.count % chunkSizes.count]
        if chunk == 1 && bytes.count > 512 { chunk = 13 }
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

    /// Runs the real connection handler over the frames and returns everything it wrote.
    private func serve(_ groups: [[InboundFrame]]) -> ByteBuffer {
        let (inbound, source) = NIOAsyncChannelInboundStream<[InboundFrame]>.makeTestingStream()
        let (outbound, sink) = NIOAsyncChannelOutboundWriter<ByteBuffer>.makeTestingWriter()
        for group in groups { source.yield(group) }
        source.finish()
        let handler = ConnectionHandler(
            dispatcher: dispatcher, hub: hub, grant: grant, shutdown: shutdown, eventLoop: eventLoop,
            limits: Self.limits)
        let result = Mutex<Result<ByteBuffer, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        // Bridges libFuzzer's synchronous callback to the async handler; the task ends
        // before this returns.
        Task.detached {
            let outcome: Result<ByteBuffer, any Error>
            do {
                try await handler.run(inbound: inbound, outbound: outbound)
                outbound.finish()
                var output = ByteBuffer()
                for await chunk in sink { output.writeImmutableBuffer(chunk) }
                outcome = .success(output)
            } catch {
                outcome = .failure(error)
            }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        switch result.withLock({ $0 }) {
        case .success(let output)?: return output
        case .failure(let error)?: InvariantCheck.violated("the connection handler threw \(error)")
        case nil: InvariantCheck.violated("the connection handler gave no result")
        }
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
