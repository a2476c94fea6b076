import TidemarkProtocol
import TidemarkStore

/// Follows the change log: first the retained records (read with `log`, page by page),
/// then every new record as it is written (with `watch`), for as long as the calling task
/// runs, across server restarts.
///
/// Every record is delivered once, in LSN order, with nothing skipped. When the connection
/// drops, the follower reconnects with a bounded exponential backoff and resumes with
/// `watch {from: last delivered + 1}`; a `watch.lost` resumes the same way on the same
/// connection. Only records compacted away before they could be read are missed, and
/// then `.compacted` says which.
///
///     let follower = LogFollower(socketPath: path, tables: ["users"])
///     try await follower.run { event in
///         if case .record(let record) = event { print(record.lsn) }
///     }
public struct LogFollower: Sendable {
    /// What the follower reports, in order.
    public enum Event: Hashable, Sendable {
        /// Retained records from the start position, one page at a time, read before the
        /// follower went live. Never empty.
        case backlog([Record])
        /// The backlog has been read; `next` is the first LSN that may still arrive.
        /// Reported once, even when the backlog was empty.
        case caughtUp(next: LSN)
        /// A record written after the backlog, in LSN order.
        case record(Record)
        /// The records from `from` up to `oldest - 1` were compacted away before they could
        /// be read; the follower continues at `oldest`.
        case compacted(from: LSN, oldest: LSN)
        /// The connection was lost; the follower is reconnecting. Reported once per outage.
        case disconnected(reason: String)
        /// Connected again; the follower resumes at `resumingAt`.
        case reconnected(resumingAt: LSN?)
        /// The server now serves another data directory: its LSNs are not a continuation of
        /// what was delivered so far, so the follower starts again at its oldest record.
        case epochChanged(from: Epoch, to: Epoch)
    }

    /// How long to wait before each reconnection attempt: `initial`, doubling up to `maximum`.
    public struct Backoff: Hashable, Sendable {
        public var initial: Duration
        public var maximum: Duration

        public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(2)) {
            self.initial = initial
            self.maximum = max(initial, maximum)
        }

        /// The wait before attempt `attempt` (0 for the first retry).
        public func delay(attempt: Int) -> Duration {
            var delay = initial
            for _ in 0..<min(attempt, 62) {
                delay *= 2
                if delay >= maximum { return maximum }
            }
            return min(delay, maximum)
        }
    }

    public var socketPath: String
    /// The first LSN to deliver; nil for the oldest retained record.
    public var from: LSN?
    /// Only records with a change to one of these tables; nil for every record.
    public var tables: [String]?
    public var backoff: Backoff
    /// Records asked for per `log` page while reading the backlog.
    public var pageSize: Int

    public init(
        socketPath: String, from: LSN? = nil, tables: [String]? = nil, backoff: Backoff = Backoff(),
        pageSize: Int = 1000
    ) {
        self.socketPath = socketPath
        self.from = from
        self.tables = tables
        self.backoff = backoff
        self.pageSize = max(1, pageSize)
    }

    /// Follows until the calling task is cancelled, then returns.
    ///
    /// Fails only when the first connection cannot be made (so a wrong socket path is
    /// reported rather than retried forever), or with an error that retrying cannot cure:
    /// a server error other than overloaded or shutting down (e.g. an invalid table name),
    /// or an answer that is not well-formed.
    public func run(_ body: (Event) async -> Void) async throws(TidemarkClientError) {
        var state = State(position: from)
        var client: TidemarkClient
        do {
            client = try await TidemarkClient.connect(socketPath: socketPath)
        } catch {
            if Task.isCancelled { return }
            throw error
        }
        var attempt = 0
        while true {
            do {
                try await follow(client, state: &state, attempt: &attempt, body)
            } catch {
                await client.close()
                if Task.isCancelled { return }
                guard Self.isRetryable(error) else { throw error }
                await body(.disconnected(reason: error.description))
            }
            // Reconnect until it works or the task is cancelled.
            while true {
                do {
                    try await Task.sleep(for: backoff.delay(attempt: attempt))
                } catch {
                    return
                }
                attempt += 1
                do {
                    client = try await TidemarkClient.connect(socketPath: socketPath)
                    state.reconnected = true
                    break
                } catch {
                    if Task.isCancelled { return }
                    guard Self.isRetryable(error) else { throw error }
                }
            }
        }
    }

    // MARK: One connection

    private struct State {
        /// The next LSN to deliver; nil until the oldest retained record is known.
        var position: LSN?
        var epoch: Epoch?
        var caughtUp = false
        /// The current connection replaces a lost one.
        var reconnected = false
    }

    /// Follows on one connection until it fails; never returns normally.
    private func follow(
        _ client: TidemarkClient, state: inout State, attempt: inout Int, _ body: (Event) async -> Void
    ) async throws(TidemarkClientError) {
        let hello = try await client.hello()
        if let epoch = state.epoch, epoch != hello.epoch {
            await body(.epochChanged(from: epoch, to: hello.epoch))
            state.position = nil
        }
        state.epoch = hello.epoch
        if state.reconnected {
            state.reconnected = false
            await body(.reconnected(resumingAt: state.position))
        }
        if !state.caughtUp {
            try await readBacklog(client, upTo: hello.lsn, state: &state, body)
            state.caughtUp = true
            await body(.caughtUp(next: state.position ?? hello.lsn + 1))
        }
        var notifications = client.notifications.makeAsyncIterator()
        while true {
            let position = try await startPosition(client, state: &state)
            let watch: WatchMethod.Result
            do {
                watch = try await client.watch(from: position, tables: tables)
            } catch let error where error.rpcError?.code == RPCError.Code.compacted {
                try await skipCompacted(error, state: &state, body)
                continue
            }
            attempt = 0
            // Ends at a `watch.lost` (resume on this connection) or when the stream ends.
            var lost = false
            watching: while let notification = await notifications.next() {
                switch notification.method {
                case RPCNotificationMethod.watchEvent:
                    guard let event = try WatchEvent(notification), event.watch == watch.watch else { continue }
                    // Never deliver a record twice, whatever the server sends.
                    guard event.record.lsn >= state.position ?? 0 else { continue }
                    state.position = event.record.lsn + 1
                    await body(.record(event.record))
                case RPCNotificationMethod.watchLost:
                    guard notification.params["watch"]?.uint64Value == watch.watch else { continue }
                    guard let lsn = notification.params["lsn"]?.uint64Value else {
                        throw TidemarkClientError(.invalidResponse, "malformed watch.lost: \(notification.params)")
                    }
                    // Every record up to `lsn` was delivered, or filtered out.
                    state.position = max(state.position ?? 0, lsn + 1)
                    lost = true
                    break watching
                default:
                    continue
                }
            }
            guard lost else {
                // The stream ends with the connection, or when this task is cancelled.
                if Task.isCancelled { throw TidemarkClientError(.cancelled, "following the log was cancelled") }
                throw TidemarkClientError(.connectionClosed, "the connection to the server was closed")
            }
        }
    }

    /// Reads the retained records with `log` until the page that passes `lsn`, the last
    /// record the server had when this connection said hello; later ones come by `watch`.
    private func readBacklog(
        _ client: TidemarkClient, upTo lsn: LSN, state: inout State, _ body: (Event) async -> Void
    ) async throws(TidemarkClientError) {
        while true {
            let page: LogPage
            do {
                page = try await client.log(LogMethod.Params(from: state.position, limit: pageSize, tables: tables))
            } catch let error where error.rpcError?.code == RPCError.Code.compacted {
                try await skipCompacted(error, state: &state, body)
                continue
            }
            if let last = page.records.last, page.next <= last.lsn {
                throw TidemarkClientError(
                    .invalidResponse, "a log page ending at lsn \(last.lsn) gave next \(page.next)")
            }
            let records = page.records.filter { $0.lsn >= state.position ?? 0 }
            let moved = state.position != page.next
            state.position = page.next
            if !records.isEmpty { await body(.backlog(records)) }
            // A filtered page may be empty yet not the end; only one that did not move is.
            if page.next > lsn || !moved { return }
        }
    }

    /// The LSN to watch from: where delivery stopped, or the oldest retained record when
    /// nothing has been read from this log yet.
    private func startPosition(_ client: TidemarkClient, state: inout State) async throws(TidemarkClientError) -> LSN {
        if let position = state.position { return position }
        let oldest = try await client.log(LogMethod.Params(limit: 0)).oldest
        state.position = oldest
        return oldest
    }

    private func skipCompacted(
        _ error: TidemarkClientError, state: inout State, _ body: (Event) async -> Void
    ) async throws(TidemarkClientError) {
        guard let oldest = error.rpcError?.data?["oldest"]?.uint64Value else {
            throw TidemarkClientError(.invalidResponse, "a compacted error without data.oldest", cause: error)
        }
        let from = state.position ?? 0
        guard oldest > from else {
            // The server says `from` is compacted yet names no later start: retrying would loop.
            throw TidemarkClientError(.invalidResponse, "compacted below \(oldest), yet \(from) was refused", cause: error)
        }
        state.position = oldest
        await body(.compacted(from: from, oldest: oldest))
    }

    private static func isRetryable(_ error: TidemarkClientError) -> Bool {
        switch error.code {
        case .connectionFailed, .connectionClosed:
            return true
        case .server:
            let code = error.rpcError?.code
            return code == RPCError.Code.overloaded || code == RPCError.Code.shuttingDown
        default:
            return false
        }
    }
}
