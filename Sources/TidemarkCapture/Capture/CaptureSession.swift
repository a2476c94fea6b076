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
        options.maxChanges = hello.limit("max_changes").map { Int(clamping: $0) } ?? options.maxChanges

        let publication = SQLText.literal(SQLText.identifier(configuration.publication))
        try await postgres.startCopyBoth(
            "START_REPLICATION SLOT \(SQLText.identifier(configuration.slot)) LOGICAL 0/0 (proto_version '1', publication_names \(publication))")
        logger.info(
            "streaming", metadata: ["slot": "\(configuration.slot)", "source": "\(sourceName)", "recorded": "\(WALPosition(recorded))"])

        let state = SessionFlow()
        let (pending, queue) = AsyncStream.makeStream(of: PendingWrite.self)
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
                try await Self.reportProgress(every: interval, state: state, outbound: outbound)
            }
            defer {
                queue.finish()
                group.cancelAll()
            }
            var reader = StreamReader(
                assembler: TransactionAssembler(options: options), sourceName: sourceName, lastPosition: recorded,
                window: configuration.window)
            do {
                try await reader.read(postgres, client, queue: queue, state: state)
            } catch {
                throw state.withLock { $0.failure } ?? error
            }
        }
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
