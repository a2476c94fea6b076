import Foundation
import LMDB
import TidemarkJournal

#if canImport(Glibc)
import Glibc
#endif

/// A durable store's write-ahead journal and its checkpoint (protocol/JOURNAL.md). Every
/// write transaction's changes are appended and flushed here before LMDB commits them
/// without a flush of its own; LMDB's file is then the index, rebuilt when it cannot be
/// trusted from `checkpoint.mdb` (a compacted copy, flushed and renamed into place) plus
/// the journal after it.
///
/// `journal/state` says whether the data file can be trusted at the next start:
/// `clean` after a stop that flushed it, `open BOOT` while a server runs. An unclean stop
/// in the same boot was a process crash, and the page cache still holds every commit; in
/// another boot, a power loss may have left the data file torn.
final class StoreJournal: WriteAheadLog, @unchecked Sendable {
    // @unchecked: `journal` is thread-safe; `lastCheckpoint` is guarded by `lock`.
    let journal: Journal
    let options: JournalOptions
    private let dataPath: String
    private let lock = NSLock()
    private var lastCheckpoint: (time: Milliseconds, bytes: Int)
    /// Set once a stop flushed the data file and said so in `journal/state`; a write after
    /// that must say `open` again first.
    private var markedClean = false

    static let directoryName = "journal"
    static let checkpointName = "checkpoint.mdb"

    private init(journal: Journal, options: JournalOptions, dataPath: String, now: Milliseconds) {
        self.journal = journal
        self.options = options
        self.dataPath = dataPath
        lastCheckpoint = (now, journal.status.bytes)
    }

    func append(_ changes: [UInt8]) throws {
        if lock.withLock({ markedClean }) {
            try Self.writeState("open \(options.bootIdentity())", in: dataPath)
            lock.withLock { markedClean = false }
        }
        try journal.append(changes)
    }

    func withdrawLastAppend() throws {
        try journal.withdrawLastAppend()
    }

    /// The sequence the next transaction is journaled as, which it records in meta.
    var nextSequence: UInt64 { journal.nextSequence }

    // MARK: - Start

    enum StartState: Equatable {
        /// No state file: the data file was last written with LMDB's own flushes.
        case none
        case clean
        case open(boot: String)
    }

    static func directory(in path: String) -> String { path + "/" + directoryName }

    static func readState(in path: String) -> StartState {
        guard let text = try? String(contentsOfFile: directory(in: path) + "/state", encoding: .utf8) else { return .none }
        let words = text.split(whereSeparator: \.isWhitespace)
        if words.first == "open", words.count == 2 { return .open(boot: String(words[1])) }
        return words.first == "clean" ? .clean : .open(boot: "")
    }

    /// Whether the data file must be rebuilt before it is opened: the last stop was
    /// unclean and the machine has restarted since.
    static func mustRestore(in path: String, options: JournalOptions) -> Bool {
        guard case .open(let boot) = readState(in: path) else { return false }
        let current = options.bootIdentity()
        return boot != current || current == "unknown"
    }

    /// Replaces the data file with the checkpoint's copy (the checkpoint itself is kept:
    /// the journal after it is replayed next).
    static func restoreCheckpoint(in path: String) throws(StoreError) {
        let checkpoint = path + "/" + checkpointName
        guard access(checkpoint, F_OK) == 0 else {
            throw StoreError(
                .corrupted,
                "the data directory \(path) stopped uncleanly in an earlier boot, so its data file may be torn, and it has no checkpoint to rebuild from"
            )
        }
        let restoring = path + "/data.mdb.restoring"
        try copyFile(checkpoint, to: restoring)
        guard rename(restoring, path + "/data.mdb") == 0 else {
            throw StoreError(.io, "cannot put the restored data file in place in \(path): \(DataDirectory.errnoText())")
        }
        unlink(path + "/lock.mdb")
        syncDirectory(path)
    }

    /// Opens (or creates) the journal and replays what the data file lacks.
    static func open(
        environment: Environment, schema: Schema, path: String, options: JournalOptions, now: Milliseconds
    ) throws(StoreError) -> StoreJournal {
        let held = try LMDBStore.guarded("cannot read the journal position") {
            try environment.read { try schema.journalSequence(in: $0) }
        }
        let journal: Journal
        do {
            let storage = try options.storage?(directory(in: path)) ?? PosixJournalStorage(directory: directory(in: path))
            journal = try Journal(storage: storage, segmentSize: options.segmentBytes, emptyStart: held + 1)
        } catch {
            throw LMDBStore.storeError(error, "cannot open the journal in \(path)")
        }
        let status = journal.status
        guard status.first <= held + 1, status.next >= held + 1 else {
            throw StoreError(
                .corrupted,
                "the journal in \(path) holds transactions \(status.first)–\(status.next - 1), which do not continue the data file's \(held)"
            )
        }
        let store = StoreJournal(journal: journal, options: options, dataPath: path, now: now)
        try store.replay(after: held, into: environment)
        if access(path + "/" + checkpointName, F_OK) != 0 { try store.checkpoint(environment: environment, schema: schema, now: now) }
        try writeState("open \(options.bootIdentity())", in: path)
        return store
    }

    /// Applies the journal's frames after `held`, a thousand to a transaction.
    private func replay(after held: UInt64, into environment: Environment) throws(StoreError) {
        var pending: [[UInt8]] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            try environment.write { transaction in
                for changes in pending { try transaction.replay(changes) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        try LMDBStore.guarded("cannot replay the journal into \(dataPath)") {
            try journal.frames(from: held + 1) { frame in
                pending.append(frame.payload)
                if pending.count == 1000 { try flush() }
            }
            try flush()
        }
    }

    // MARK: - Checkpoints and stopping

    /// Whether a checkpoint is due: the journal grew by `checkpointBytes`, or
    /// `checkpointInterval` passed with something written.
    func checkpointDue(now: Milliseconds) -> Bool {
        let bytes = journal.status.bytes
        let last = lock.withLock { lastCheckpoint }
        return bytes - last.bytes >= options.checkpointBytes
            || (bytes != last.bytes && now - last.time >= options.checkpointInterval)
    }

    /// Copies the data file as of one snapshot to `checkpoint.mdb` (flushed, renamed, its
    /// directory flushed), then removes the journal segments it makes unneeded.
    func checkpoint(environment: Environment, schema: Schema, now: Milliseconds) throws(StoreError) {
        // Read before the copy: the copy's snapshot holds at least this much, so releasing
        // through it never drops a frame the checkpoint lacks.
        let held = try LMDBStore.guarded("cannot read the journal position") {
            try environment.read { try schema.journalSequence(in: $0) }
        }
        let temporary = dataPath + "/" + Self.checkpointName + ".new"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError(.io, "cannot create \(temporary): \(DataDirectory.errnoText())") }
        do {
            try environment.copy(to: descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw LMDBStore.storeError(error, "cannot write the checkpoint \(temporary)")
        }
        let flushed = fsync(descriptor) == 0
        close(descriptor)
        guard flushed, rename(temporary, dataPath + "/" + Self.checkpointName) == 0 else {
            unlink(temporary)
            throw StoreError(.io, "cannot put the checkpoint in place in \(dataPath): \(DataDirectory.errnoText())")
        }
        syncDirectory(dataPath)
        do {
            try journal.release(through: held)
        } catch {
            throw LMDBStore.storeError(error, "cannot remove journal segments below the checkpoint")
        }
        let bytes = journal.status.bytes
        lock.withLock { lastCheckpoint = (now, bytes) }
    }

    /// After a stop that flushed the data file, the next start trusts it as it is.
    func markClean(environment: Environment) {
        guard (try? environment.sync()) != nil, (try? Self.writeState("clean", in: dataPath)) != nil else { return }
        lock.withLock { markedClean = true }
    }

    /// Ends journaling in `path` (a durable store opened with `--sync none`): the data
    /// file, with the journal replayed, is flushed, and the journal and checkpoint go.
    static func remove(_ store: StoreJournal, from path: String, environment: Environment) throws(StoreError) {
        try LMDBStore.guarded("cannot flush the data file") { try environment.sync() }
        do {
            try store.journal.removeAll()
        } catch {
            throw LMDBStore.storeError(error, "cannot remove the journal")
        }
        unlink(directory(in: path) + "/state")
        rmdir(directory(in: path))
        unlink(path + "/" + checkpointName)
        syncDirectory(path)
    }

    // MARK: - Files

    private static func writeState(_ text: String, in path: String) throws(StoreError) {
        // The storage creates the directory for its segments, but a test's storage may
        // keep them elsewhere.
        if mkdir(directory(in: path), 0o700) != 0 && errno != EEXIST {
            throw StoreError(.io, "cannot create \(directory(in: path)): \(DataDirectory.errnoText())")
        }
        let final = directory(in: path) + "/state"
        let temporary = final + ".new"
        let bytes = Array((text + "\n").utf8)
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError(.io, "cannot write \(temporary): \(DataDirectory.errnoText())") }
        let wrote = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == bytes.count
        let flushed = fsync(descriptor) == 0
        close(descriptor)
        guard wrote, flushed, rename(temporary, final) == 0 else {
            throw StoreError(.io, "cannot write the journal state \(final): \(DataDirectory.errnoText())")
        }
        syncDirectory(directory(in: path))
    }

    private static func copyFile(_ source: String, to destination: String) throws(StoreError) {
        let input = Glibc.open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw StoreError(.io, "cannot read \(source): \(DataDirectory.errnoText())") }
        defer { close(input) }
        let output = Glibc.open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw StoreError(.io, "cannot create \(destination): \(DataDirectory.errnoText())") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw StoreError(.io, "cannot read \(source): \(DataDirectory.errnoText())") }
            if count == 0 { break }
            var done = 0
            while done < count {
                let wrote = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, count - done) }
                guard wrote > 0 else { throw StoreError(.io, "cannot write \(destination): \(DataDirectory.errnoText())") }
                done += wrote
            }
        }
        guard fsync(output) == 0 else { throw StoreError(.io, "cannot flush \(destination): \(DataDirectory.errnoText())") }
    }
}
