import LMDB
import Synchronization
import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

/// Answers `stamp` and `check` on the same host by reading the server's data file in
/// place: no socket, no server CPU, and no system call on most calls. The answers are the
/// server's (the same rules run over a snapshot of the same file, `SnapshotReader`), and
/// never more optimistic than the server's at the same moment:
///
/// - every call reads a fresh snapshot, so it sees every write acknowledged before it
///   started (the server commits to LMDB before it answers a writer);
/// - at least every `SnapshotReader.identityInterval` it checks that the data path still
///   names the file it has open; when the directory was replaced it opens the new file, so
///   stamps of the old epoch answer `epoch`, and when the directory is gone it throws;
/// - open intents read as pending until the server closes them, also after their lease
///   ended, exactly as the server answers until it expires them.
///
/// Safe to share between threads; each concurrent call uses a reader slot of its own.
/// Needs `tidemark serve --local-readers GROUP` and a user in GROUP.
public final class LocalReader: Sendable {
    public let directory: String
    private let clock: @Sendable () -> Milliseconds
    /// The holder keeps the file shared and open; the file itself is what calls use.
    private let file: Mutex<(holder: OpenedDataFile.Holder, file: OpenedDataFile)>
    /// CLOCK_MONOTONIC nanoseconds of the last check that the path names the open file.
    private let verifiedAt: Atomic<UInt64>

    /// Opens `directory`, the server's `--data` directory. `clock` is the wall clock in
    /// milliseconds that names expire by (the server's, on the same host).
    public init(directory: String, clock: @escaping @Sendable () -> Milliseconds = LMDBStore.wallClock) throws(LocalReaderError) {
        self.directory = directory
        self.clock = clock
        let holder = try OpenedDataFile.shared(directory: directory)
        file = Mutex((holder, holder.file))
        verifiedAt = Atomic(Self.monotonicNanoseconds())
    }

    /// The epoch of the data file read now.
    public var epoch: Epoch {
        get throws(LocalReaderError) { try current().reader.epoch }
    }

    /// Versions of `deps` and the current LSN, from one snapshot: what `stamp` answers.
    public func stamp(_ deps: [Dep]) throws(LocalReaderError) -> StampResult {
        try read { (opened, transaction) throws(StoreError) in try opened.reader.stamp(deps, in: transaction) }
    }

    /// Each query answered from one snapshot: what `check` answers.
    public func check(_ queries: [CheckQuery]) throws(LocalReaderError) -> [Validity] {
        // Only names expire; a check of stamps alone does not read the clock.
        let now = queries.contains { if case .name = $0 { true } else { false } } ? clock() : 0
        return try read { (opened, transaction) throws(StoreError) in
            try opened.reader.check(queries, now: now, in: transaction)
        }
    }

    /// One snapshot of the current file.
    private func read<Result>(
        _ body: (OpenedDataFile, borrowing ReadTransaction) throws(StoreError) -> Result
    ) throws(LocalReaderError) -> Result {
        let opened = try current()
        let answer: Result?
        do {
            answer = try opened.environment.pooledRead { (transaction) throws -> Result? in
                guard try opened.reader.holdsSameStore(in: transaction) else { return nil }
                return try body(opened, transaction)
            }
        } catch let error as StoreError {
            throw LocalReaderError(error, path: directory)
        } catch {
            throw LocalReaderError(.io, "cannot read \(directory)", cause: error)
        }
        guard let answer else {
            throw LocalReaderError(
                .unavailable,
                "the data file in \(directory) was overwritten in place (its epoch is no longer \(opened.reader.epoch.hex)); "
                    + "restart the reading process")
        }
        return answer
    }

    /// The open file, after checking (at most every `identityInterval`) that the path still
    /// names it.
    private func current() throws(LocalReaderError) -> OpenedDataFile {
        let now = Self.monotonicNanoseconds()
        let opened = file.withLock { $0.file }
        guard now &- verifiedAt.load(ordering: .acquiring) >= Self.identityNanoseconds else { return opened }
        if try !opened.isCurrent(directory: directory) { try reopen() }
        verifiedAt.store(now, ordering: .releasing)
        return file.withLock { $0.file }
    }

    private func reopen() throws(LocalReaderError) {
        let fresh = try OpenedDataFile.shared(directory: directory)
        file.withLock { $0 = (fresh, fresh.file) }
    }

    private static let identityNanoseconds = UInt64(SnapshotReader.identityInterval / .nanoseconds(1))

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
