import LMDB

#if canImport(Glibc)
import Glibc
#endif

/// The change log and version state machine on LMDB: one data directory, one epoch.
public final class LMDBStore: VersionStore {
    public struct Options: Sendable {
        /// The largest the data file may grow; writes past it fail with `storageFull`.
        public var mapSize = 16 << 30
        /// fsync every commit (the default). When false, a machine crash may lose the
        /// newest commits; a process crash still loses nothing.
        public var durable = true
        /// Open an existing directory without changing it (for offline inspection).
        public var readOnly = false
        public var limits = StoreLimits()
        /// How long a closed intent's state is remembered for `commit`/`abort` answers.
        public var closedIntentRetention: Milliseconds = 3_600_000
        /// Most names purged by one housekeeping pass, so it never holds the writer long.
        public var purgeBatch = 1000
        /// How commits are journaled when `durable`: each one appended to the journal with
        /// one flush, then committed to LMDB without its own. nil keeps LMDB's own two
        /// flushes per commit.
        public var journal: JournalOptions? = JournalOptions()
        /// The group whose members may read the data file in place (`serve
        /// --local-readers`); nil keeps the directory private to the server's user.
        public var localReaderGroup: UInt32?

        public init() {}
    }

    public let epoch: Epoch
    public let limits: StoreLimits
    public let path: String
    let options: Options
    let environment: Environment
    let schema: Schema
    let clock: @Sendable () -> Milliseconds
    let directory: DataDirectory
    /// The write-ahead journal, in a durable store that has one.
    let journal: StoreJournal?

    /// Opens the store in `path`, creating the directory and a new epoch when needed.
    /// `clock` gives the wall time in milliseconds; tests pass a manual one.
    public init(
        path: String, options: Options = Options(),
        clock: @escaping @Sendable () -> Milliseconds = LMDBStore.wallClock
    ) throws(StoreError) {
        self.path = path
        self.options = options
        self.limits = options.limits
        self.clock = clock
        directory = try DataDirectory(path: path, create: !options.readOnly, exclusive: !options.readOnly)
        let journaling = options.durable && !options.readOnly ? options.journal : nil
        let journaled = !options.readOnly && access(StoreJournal.directory(in: path), F_OK) == 0
        if journaled, StoreJournal.mustRestore(in: path, options: options.journal ?? JournalOptions()) {
            try StoreJournal.restoreCheckpoint(in: path)
        }
        var environmentOptions = Environment.Options()
        environmentOptions.mapSize = options.mapSize
        // Journaled, LMDB commits without flushing: the journal's flush made it durable.
        environmentOptions.durable = options.durable && journaling == nil
        environmentOptions.readOnly = options.readOnly
        environmentOptions.maxDatabases = UInt32(Schema.databaseCount)
        let environment: Environment
        let schema: Schema
        do {
            environment = try Environment(path: path, options: environmentOptions)
            schema = try Schema(environment: environment)
        } catch {
            throw Self.storeError(error, "cannot open the data directory \(path)")
        }
        self.environment = environment
        self.schema = schema
        if journaling != nil || journaled {
            let journal = try StoreJournal.open(
                environment: environment, schema: schema, path: path, options: journaling ?? JournalOptions(), now: clock())
            self.journal = journaling == nil ? nil : journal
            if journaling == nil { try StoreJournal.remove(journal, from: path, environment: environment) }
        } else {
            self.journal = nil
        }
        self.epoch = try Self.loadOrCreateEpoch(environment: environment, schema: schema, journal: journal)
        if !options.readOnly { try openForLocalReaders() }
    }

    public static let wallClock: @Sendable () -> Milliseconds = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Milliseconds(now.tv_sec) * 1000 + Milliseconds(now.tv_nsec / 1_000_000)
    }

    deinit {
        journal?.markClean(environment: environment)
    }

    private static func loadOrCreateEpoch(
        environment: Environment, schema: Schema, journal: StoreJournal?
    ) throws(StoreError) -> Epoch {
        do {
            if let existing = try environment.read({ try schema.storedEpoch(in: $0) }) {
                return existing
            }
            return try write(environment: environment, schema: schema, journal: journal) { transaction in
                let epoch = Epoch.random()
                var bytes = ByteWriter.bigEndian(epoch.high)
                bytes.append(contentsOf: ByteWriter.bigEndian(epoch.low))
                try transaction.put(bytes, forKey: Schema.MetaKey.epoch, in: schema.meta)
                try transaction.put(ByteWriter.bigEndian(0), forKey: Schema.MetaKey.lsn, in: schema.meta)
                try transaction.put(ByteWriter.bigEndian(1), forKey: Schema.MetaKey.oldest, in: schema.meta)
                try transaction.put(
                    ByteWriter.bigEndian(Schema.formatVersion), forKey: Schema.MetaKey.format, in: schema.meta)
                return epoch
            }
        } catch {
            throw storeError(error, "cannot read or create the epoch")
        }
    }

    /// Every write transaction of the store: journaled when the store has a journal, and
    /// then recording in meta the sequence it is journaled as.
    func write<Result>(_ body: (borrowing WriteTransaction) throws -> Result) throws -> Result {
        try Self.write(environment: environment, schema: schema, journal: journal, body)
    }

    private static func write<Result>(
        environment: Environment, schema: Schema, journal: StoreJournal?, _ body: (borrowing WriteTransaction) throws -> Result
    ) throws -> Result {
        guard let journal else { return try environment.write(body) }
        return try environment.write(loggingTo: journal) { transaction in
            let result = try body(transaction)
            if transaction.hasChanges {
                try transaction.put(ByteWriter.bigEndian(journal.nextSequence), forKey: Schema.MetaKey.journal, in: schema.meta)
            }
            return result
        }
    }
}
