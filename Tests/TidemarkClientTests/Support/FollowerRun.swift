import TidemarkClient
import TidemarkStore

/// A `LogFollower` running in its own task, with what it reported so far.
///
/// The waits consume the follower's events as they arrive (no polling); each gives up
/// when the follower stops, and the suite's time limit fails a test that waits forever.
actor FollowerRun {
    private let task: Task<Void, any Error>
    private var events: AsyncStream<LogFollower.Event>.Iterator
    /// Every record delivered, backlog and live, in delivery order, duplicates included.
    private(set) var delivered: [Record] = []
    /// Every event, in order.
    private(set) var log: [LogFollower.Event] = []

    init(_ follower: LogFollower) {
        let (stream, continuation) = AsyncStream.makeStream(of: LogFollower.Event.self)
        task = Task {
            defer { continuation.finish() }
            try await follower.run { continuation.yield($0) }
        }
        events = stream.makeAsyncIterator()
    }

    /// Consumes events until one satisfies `predicate`; false if the follower stopped first.
    @discardableResult
    func wait(for predicate: @Sendable (LogFollower.Event) -> Bool) async -> Bool {
        while true {
            // Iterators share their stream's state, so a local copy consumes for `events`.
            var iterator = events
            guard let event = await iterator.next(isolation: self) else { return false }
            log.append(event)
            switch event {
            case .backlog(let records): delivered += records
            case .record(let record): delivered.append(record)
            default: break
            }
            if predicate(event) { return true }
        }
    }

    /// Consumes events until a record at or past `lsn` has been delivered.
    @discardableResult
    func waitForRecords(through lsn: LSN) async -> Bool {
        if let last = delivered.last, last.lsn >= lsn { return true }
        return await wait { event in
            switch event {
            case .backlog(let records): records.contains { $0.lsn >= lsn }
            case .record(let record): record.lsn >= lsn
            default: false
            }
        }
    }

    /// Cancels the follower and returns how it ended.
    func stop() async -> Result<Void, any Error> {
        task.cancel()
        return await task.result
    }
}

extension LogFollower.Event {
    var isCaughtUp: Bool {
        if case .caughtUp = self { return true }
        return false
    }

    var isDisconnected: Bool {
        if case .disconnected = self { return true }
        return false
    }

    var isReconnected: Bool {
        if case .reconnected = self { return true }
        return false
    }
}
