import LMDB

/// Answers `stamp` and `check` from snapshots of a data file that another process (the
/// server) writes: the reading half of the store, for same-host local readers. It runs the
/// server's own rules (`SnapshotRules`) over the caller's transactions, so its answers are
/// the server's answers at the same snapshot.
///
/// Opening checks the format version (an unknown one is refused) and reads the epoch,
/// which never changes within one data file.
public struct SnapshotReader: SnapshotRules, Sendable {
    let schema: Schema
    public let epoch: Epoch
    public let limits: StoreLimits

    /// How many named databases a store has; a reader's environment must allow that many.
    public static let databaseCount = Schema.databaseCount
    /// The on-disk format this build reads and writes (PROTOCOL.md, "Local reading").
    public static let formatVersion = Schema.formatVersion

    /// `environment` is the data file opened read-only.
    public init(environment: Environment, limits: StoreLimits = StoreLimits()) throws(StoreError) {
        let opened = try LMDBStore.guarded("cannot open the data file for reading") { () throws -> (Schema, Epoch) in
            let schema = try Schema(environment: environment)
            guard let epoch = try environment.read({ try schema.storedEpoch(in: $0) }) else {
                throw StoreError(.corrupted, "the data file has no epoch: not a tidemark store, or one still being created")
            }
            return (schema, epoch)
        }
        (schema, epoch) = opened
        self.limits = limits
    }

    /// The stamp for `deps`, read in `transaction`. Refuses deps outside the limits as the
    /// server does, naming the field (`deps[2].key`).
    ///
    /// Takes the concrete transaction type, not any `TransactionReading`: called from
    /// another module, a generic entry point would run the rules unspecialised, looking up
    /// generic metadata on every read (a good part of a local check's cost).
    public func stamp(
        _ deps: [Dep], in transaction: borrowing ReadTransaction
    ) throws(StoreError) -> StampResult {
        try limits.validate(deps, field: "deps")
        return try LMDBStore.guarded("cannot read versions") { try stampAnswer(deps, in: transaction) }
    }

    /// Answers every query from the one snapshot `transaction`; names expire by `now`
    /// (wall-clock milliseconds, the clock the server uses on the same host).
    public func check(
        _ queries: [CheckQuery], now: Milliseconds, in transaction: borrowing ReadTransaction
    ) throws(StoreError) -> [Validity] {
        try validate(queries)
        return try LMDBStore.guarded("cannot check") { try checkAnswers(queries, now: now, in: transaction) }
    }
}

extension SnapshotReader {
    /// Whether the file read in `transaction` is still the store this reader was opened on.
    /// A data file overwritten in place (same file, other contents) would otherwise be read
    /// with the old epoch in mind.
    public func holdsSameStore(
        in transaction: borrowing ReadTransaction
    ) throws(StoreError) -> Bool {
        let epoch = self.epoch
        return try LMDBStore.guarded("cannot read the epoch") {
            try transaction.withValue(in: schema.meta, forKey: Schema.MetaKey.epoch) { bytes in
                bytes.count == 16
                    && bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == epoch.high
                    && bytes.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } == epoch.low
            } ?? false
        }
    }
}
