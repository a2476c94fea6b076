import Logging
import NIOCore
import Synchronization
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

typealias TidemarkReply = TidemarkClient.PendingReply

/// One connection to each side, from START_REPLICATION until something breaks.
///
/// Exactly once: each transaction is written with `source {name, position: commit LSN,
/// after: the previous one}`, so Tidemark records it at most once, and in order; the
/// slot is confirmed only up to transactions whose write was answered (durable). After
/// any crash PostgreSQL resends from the confirmed position, and what Tidemark already
/// has is recognised by its position and not sent again.
struct CaptureSession {
    let configuration: CaptureConfiguration
    let logger: Logger

    func run() async throws {
        try await PostgresConnection.with(configuration.dsn, replication: true, logger: logger) { postgres in
            let system = try await ReplicationSetup(configuration: configuration, logger: logger).prepare(postgres)
            let sourceName = configuration.sourceName ?? "postgres:\(system.systemID):\(configuration.slot)"
            let client: TidemarkClient
            do throws(TidemarkClientError) {
                client = try await TidemarkClient.connect(socketPath: configuration.socketPath)
            } catch {
                throw CaptureError(tidemark: error, "cannot reach Tidemark")
            }
            do {
                try await stream(postgres, client, sourceName: sourceName)
                await client.close()
            } catch {
                await client.close()
                throw error
            }
        }
    }

    private func stream(_ postgres: PostgresConnection, _ client: TidemarkClient, sourceName: String) async throws {
        let hello: ServerHello
        let recorded: UInt64
        do throws(TidemarkClientError) {
            hello = try await client.hello()
            recorded = try await client.sourcePosition(sourceName)
        } catch {
            throw CaptureError(tidemark: error, "cannot read the source position from Tidemark")
        }
        var options = TransactionAssembler.Options()
        options.namespace = configuration.namespace
        options.tables = configuration.tables.map(Set.init)
        options.maxKeysPerTable = configuration.maxKeysPerTable
        options.globalTable = configuration.globalTable
        // More tables than one write may name (61 on etcd) is recorded as the global wide
        // change, as more than `max_changes` is, rather than refused.
        options.maxChanges = [hello.limit("max_changes"), hello.limit("max_write_tables")]
            .compactMap { $0.map { Int(clamping: $0) } }.min() ?? options.maxChanges

        let publication = SQLText.literal(SQLText.identifier(configuration.publication))
        try await postgres.startCopyBoth(
            "START_REPLICATION SLOT \(SQLText.identifier(configuration.slot)) LOGICAL 0/0 (proto_version '1', publication_names \(publication))")
        logger.info(
            "streaming", metadata: ["slot": "\(configuration.slot)", "source": "\(sourceName)", "recorded": "\(WALPosition(recorded))"])

        let state = SessionFlow()
        let (pending, queue) = AsyncStream.makeStream(of: PendingWrite.self)
        let backlog = TransactionBacklog(capacity: Self.backlogCapacity)
        let window = Self.window(configuration.window, on: hello)
        let limits = Self.batchLimits(options, on: hello)
        let channel = postgres.channel
        let outbound = postgres.outbound
        let interval = configuration.feedbackInterval
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await Self.acknowledge(pending, state: state)
                } catch let error as CaptureError {
                    state.withLock { $0.failure = error }
                    // Ends the reader's wait for PostgreSQL, so the session stops now.
                    channel.close(promise: nil)
                }
            }
            group.addTask {
                var writer = BatchWriter(sourceName: sourceName, recordedPosition: recorded, window: window, limits: limits)
                await writer.run(backlog, client, queue: queue)
                queue.finish()
            }
            group.addTask {
                try await Self.reportProgress(every: interval, state: state, outbound: outbound)
            }
            defer {
                backlog.finish()
                queue.finish()
                group.cancelAll()
            }
            var reader = StreamReader(assembler: TransactionAssembler(options: options), backlog: backlog)
            do {
                try await reader.read(postgres, state: state)
            } catch {
                throw state.withLock { $0.failure } ?? error
            }
        }
    }

    /// Transactions read ahead of Tidemark at most; past it the stream is read no faster
    /// than Tidemark records.
    static let backlogCapacity = 10_000

    /// An etcd-backed server sends a connection's writes one etcd round at a time
    /// (PROTOCOL.md §16.1): writes queued behind the one at etcd only add to the lag, so
    /// one is kept waiting there and everything else gathers into the next batch.
    static func window(_ configured: Int, on hello: ServerHello) -> Int {
        hello.backend == "etcd" ? min(configured, 1) : configured
    }

    static func batchLimits(_ options: TransactionAssembler.Options, on hello: ServerHello) -> TransactionBatch.Limits {
        var limits = TransactionBatch.Limits()
        limits.maxTables = options.maxChanges
        limits.maxKeysPerTable = options.maxKeysPerTable
        limits.maxKeyBytes = options.maxKeyBytes
        return hello.backend == "etcd" ? .forEtcd(limits) : limits
    }

    /// Waits for the answers in stream order; each one lets the slot advance past its
    /// transaction.
    private static func acknowledge(_ pending: AsyncStream<PendingWrite>, state: SessionFlow) async throws {
        for await write in pending {
            if let reply = write.reply {
                do throws(TidemarkClientError) {
                    _ = try await reply.value()
                } catch {
                    throw CaptureError(tidemark: error, "Tidemark did not record a transaction")
                }
            }
            state.withLock { flow in
                flow.ackedEnd = write.endLSN
                flow.confirmable = max(flow.confirmable, write.endLSN)
            }
        }
    }

    /// Reports the confirmed position when it moved. The slot's position only bounds how
    /// much WAL PostgreSQL keeps: exactly-once never depends on this report arriving.
    private static func reportProgress(
        every interval: Duration, state: SessionFlow, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        let allocator = ByteBufferAllocator()
        while true {
            try await Task.sleep(for: interval)
            let position: UInt64? = state.withLock { flow in
                guard flow.confirmable > flow.reported else { return nil }
                flow.reported = flow.confirmable
                return flow.confirmable
            }
            if let position {
                try await outbound.write(
                    ReplicationMessage.statusUpdate(flushed: position, now: Clock.unixMicroseconds(), allocator: allocator))
            }
        }
    }
}
