import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// An open LMDB environment (one data directory). Read transactions may run on any
/// thread at once; write transactions are serialised by LMDB and must each begin and
/// end on one thread, which the `write { }` closure shape guarantees.
public final class Environment: @unchecked Sendable {
    // @unchecked: an MDB_env is documented as thread-safe once opened; `handle` is
    // immutable after init and `mdb_env_close` runs only in deinit, when no one else holds it.
    let handle: OpaquePointer
    @usableFromInline let readerPool = ReaderPool()

    public struct Options: Sendable {
        /// The largest the data file may grow to. Writes beyond it fail with `mapFull`
        /// and write nothing. 0 takes the size the file records (for readers).
        public var mapSize: Int = 16 << 30
        public var maxDatabases: UInt32 = 16
        public var maxReaders: UInt32 = 512
        /// When false, commits do not fsync (MDB_NOSYNC): fast, but a machine crash may
        /// lose the last commits. A process crash loses nothing either way.
        public var durable: Bool = true
        public var readOnly: Bool = false
        /// File mode for the data and lock files.
        public var fileMode: mode_t = 0o600

        public init() {}
    }

    public init(path: String, options: Options = Options()) throws(LMDBError) {
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(returnCode: ENOMEM, operation: "mdb_env_create") }
        do {
            try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize), "mdb_env_set_mapsize")
            try LMDBError.check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)), "mdb_env_set_maxdbs")
            try LMDBError.check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            // NOTLS: read transactions belong to the transaction object, not the thread,
            // because event-loop threads run many at once.
            var flags = UInt32(MDB_NOTLS)
            if !options.durable { flags |= UInt32(MDB_NOSYNC) }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try LMDBError.check(mdb_env_open(env, path, flags, options.fileMode), "mdb_env_open")
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
    }

    deinit {
        readerPool.drain()
        mdb_env_close(handle)
    }

    /// The largest key LMDB accepts in this build (511 bytes by default).
    public var maxKeySize: Int { Int(mdb_env_get_maxkeysize(handle)) }

    /// Runs `body` in a read-only snapshot. The transaction ends when `body` returns,
    /// so no pointer into the map can outlive it unnoticed.
    public func read<Result>(_ body: (borrowing ReadTransaction) throws -> Result) throws -> Result {
        let transaction = try ReadTransaction(environment: self)
        return try body(transaction)
    }

    /// Runs `body` in a write transaction and commits it when `body` returns; a thrown
    /// error aborts it and nothing is written.
    public func write<Result>(_ body: (borrowing WriteTransaction) throws -> Result) throws -> Result {
        let transaction = try WriteTransaction(environment: self)
        let result = try body(transaction)
        try transaction.commit()
        return result
    }

    /// `write(_:)` for a store with a write-ahead log: the changes `body` makes are
    /// recorded, appended to `log`, and committed only after the append returns. A failed
    /// append aborts the transaction; a failed commit takes the append back.
    public func write<Result>(
        loggingTo log: any WriteAheadLog, _ body: (borrowing WriteTransaction) throws -> Result
    ) throws -> Result {
        let changes = ChangeSet()
        let transaction = try WriteTransaction(environment: self, recordingInto: changes)
        let result = try body(transaction)
        guard !changes.isEmpty else {
            try transaction.commit()
            return result
        }
        try log.append(changes.bytes)
        do {
            try transaction.commit()
        } catch {
            try log.withdrawLastAppend()
            throw error
        }
        return result
    }

    /// Writes a consistent copy of the environment, as of one snapshot, to `descriptor`
    /// (compacted: free pages left out). Runs beside writers, in a read transaction.
    public func copy(to descriptor: Int32) throws(LMDBError) {
        try LMDBError.check(mdb_env_copyfd2(handle, descriptor, UInt32(MDB_CP_COMPACT)), "mdb_env_copyfd2")
    }

    /// Opens (and with `.create`, creates) a named database. Creating needs a write
    /// transaction, so this runs one of its own.
    public func openDatabase(named name: String, flags: Database.Flags = []) throws -> Database {
        var environmentFlags: UInt32 = 0
        try LMDBError.check(mdb_env_get_flags(handle, &environmentFlags), "mdb_env_get_flags")
        if environmentFlags & UInt32(MDB_RDONLY) != 0 {
            // A read-only environment cannot begin a write transaction: open what exists in
            // a read transaction, committed so that the handle outlives it.
            var transaction: OpaquePointer?
            try LMDBError.check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction), "mdb_txn_begin(read)")
            var dbi: MDB_dbi = 0
            let returnCode = mdb_dbi_open(transaction, name, flags.subtracting(.create).rawValue, &dbi)
            guard returnCode == MDB_SUCCESS else {
                mdb_txn_abort(transaction)
                throw LMDBError(returnCode: returnCode, operation: "mdb_dbi_open(\(name))")
            }
            let database: Database
            do {
                database = try Database.opened(dbi, in: transaction)
            } catch {
                mdb_txn_abort(transaction)
                throw error
            }
            try LMDBError.check(mdb_txn_commit(transaction), "mdb_txn_commit")
            return database
        }
        let transaction = try WriteTransaction(environment: self)
        var dbi: MDB_dbi = 0
        try LMDBError.check(mdb_dbi_open(transaction.handle, name, flags.rawValue, &dbi), "mdb_dbi_open(\(name))")
        let database = try Database.opened(dbi, in: transaction.handle)
        try transaction.commit()
        return database
    }

    /// Flushes buffers to disk; needed after commits made with `durable == false`.
    public func sync() throws(LMDBError) {
        try LMDBError.check(mdb_env_sync(handle, 1), "mdb_env_sync")
    }

    public struct Info: Hashable, Sendable {
        public var mapSize: Int
        public var usedBytes: Int
        public var pageSize: Int
        public var readersUsed: Int
    }

    public func info() throws(LMDBError) -> Info {
        var info = MDB_envinfo()
        try LMDBError.check(mdb_env_info(handle, &info), "mdb_env_info")
        var stat = MDB_stat()
        try LMDBError.check(mdb_env_stat(handle, &stat), "mdb_env_stat")
        let pageSize = Int(stat.ms_psize)
        return Info(
            mapSize: info.me_mapsize,
            usedBytes: (info.me_last_pgno + 1) * pageSize,
            pageSize: pageSize,
            readersUsed: Int(info.me_numreaders)
        )
    }
}
