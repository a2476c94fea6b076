/// Everything that changes the store. Mutations are applied in batches, one LMDB write
/// transaction (and one fsync) per batch, by a single writer.
public enum Mutation: Hashable, Sendable {
    case write(changes: [Change], meta: [UInt8]?)
    /// A `write` from an ordered external stream: recorded only if `source.position` is
    /// above the highest position recorded for `source.name`, which it then becomes (in
    /// the same transaction). At or below it, nothing is written: `.duplicate`.
    case sourcedWrite(changes: [Change], meta: [UInt8]?, source: SourcePosition)
    /// `lease` in milliseconds from now.
    case begin(changes: [Change], lease: Milliseconds, meta: [UInt8]?)
    case commit(intent: String)
    case abort(intent: String)
    /// `ttl` in milliseconds from now.
    case register(name: String, stamp: Stamp, deps: [Dep], ttl: Milliseconds)
    /// Drops every record below `min(before, lsn + 1)`.
    case compact(before: LSN)
    /// Expires intents whose lease ended and purges names and closed intents past their
    /// time. Runs on a timer, and right after start for what fell due while stopped.
    case housekeeping
    /// Stores the server's activity counters (an opaque blob) in the data directory, so
    /// they survive restarts; it writes no record.
    case saveActivity([UInt8])
}

/// A mutation and who asked for it.
extension Mutation {
    /// Work the server queues for itself rather than for a client's request.
    public var isMaintenance: Bool {
        switch self {
        case .housekeeping, .saveActivity: true
        default: false
        }
    }

    /// Whether it may use the pages kept free for when the map is full: what frees space
    /// (compaction, purging expired names) and the server's own bookkeeping.
    public var mayUseReserve: Bool {
        switch self {
        case .compact, .housekeeping, .saveActivity: true
        default: false
        }
    }
}

public struct MutationRequest: Hashable, Sendable {
    public var mutation: Mutation
    public var peer: Peer

    public init(_ mutation: Mutation, peer: Peer) {
        self.mutation = mutation
        self.peer = peer
    }
}

/// What one mutation did.
public enum MutationOutcome: Hashable, Sendable {
    /// A `write` or `commit`: the record's LSN and the names it invalidated.
    case written(lsn: LSN, invalidated: [String])
    /// A `sourcedWrite` at or below its source's recorded `position`: nothing was written
    /// and no LSN consumed; `lsn` is the current LSN, which covers the earlier record.
    case duplicate(lsn: LSN, position: UInt64)
    case begun(intent: String, lsn: LSN, expiresAt: Milliseconds)
    case aborted(lsn: LSN)
    case registered(registered: Bool, valid: Bool)
    case compacted(oldest: LSN)
    /// How many intents expired, names and closed intents were purged.
    case housekept(expiredIntents: Int, purgedNames: Int, forgottenIntents: Int)
    case saved
}

/// A record made durable by a batch, with every name it invalidated (uncapped), for
/// watchers.
public struct CommittedRecord: Hashable, Sendable {
    public var record: Record
    public var invalidated: [String]

    public init(record: Record, invalidated: [String]) {
        self.record = record
        self.invalidated = invalidated
    }
}

/// The result of one batch: an outcome per request, in order, and the records it
/// appended in LSN order.
public struct AppliedBatch: Sendable {
    public var outcomes: [Result<MutationOutcome, StoreError>]
    public var records: [CommittedRecord]

    public init(outcomes: [Result<MutationOutcome, StoreError>], records: [CommittedRecord]) {
        self.outcomes = outcomes
        self.records = records
    }
}
