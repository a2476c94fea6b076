import LMDB
import Synchronization
import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

/// One data file opened for reading: its environment, the store's reading rules bound to
/// it, and which files it is, to notice when the data path names others.
///
/// LMDB must not have one environment open twice in a process: its locks are fcntl locks,
/// which belong to the (process, file) pair, so closing a second handle would drop the
/// first one's and let the server reuse pages it still reads. So every reader of a process
/// shares one `OpenedDataFile` per pair of files (`shared(directory:)`).
final class OpenedDataFile: Sendable {
    let environment: Environment
    let reader: SnapshotReader
    let dataIdentity: FileIdentity
    let lockIdentity: FileIdentity

    private struct Key: Hashable {
        var data: FileIdentity
        var lock: FileIdentity
    }

    /// What keeps a shared file open: the readers hold it, the registry only a weak
    /// reference to it. The weak reference is to this holder, not to the file, because a
    /// weakly referenced object's every retain and release takes Swift's slow path, and
    /// readers retain the file on every call.
    final class Holder: Sendable {
        let file: OpenedDataFile
        init(_ file: OpenedDataFile) { self.file = file }
    }

    private struct WeakHolder: @unchecked Sendable {
        // Only touched under `open`'s mutex.
        weak var holder: Holder?
    }

    private static let open = Mutex<[Key: WeakHolder]>([:])

    /// The open data file of `directory`, shared with every other reader of this process.
    /// Refuses one whose server does not allow local readers: only `serve --local-readers`
    /// makes the data file group-readable, and only such a server waits at start for
    /// readers left on a replaced directory.
    static func shared(directory: String) throws(LocalReaderError) -> Holder {
        let dataFile = directory + "/data.mdb"
        var info = stat()
        guard stat(dataFile, &info) == 0 else { throw lookupError(errno, directory: directory) }
        guard info.st_mode & 0o040 != 0 else {
            throw LocalReaderError(
                .notAllowed,
                "the server does not allow local reading of \(directory): start it with `tidemark serve --local-readers GROUP`")
        }
        return try open.withLock { (files) throws(LocalReaderError) -> Holder in
            guard let data = FileIdentity(path: dataFile), let lock = FileIdentity(path: directory + "/lock.mdb") else {
                throw lookupError(errno, directory: directory)
            }
            let key = Key(data: data, lock: lock)
            if let existing = files[key]?.holder { return existing }
            if files.contains(where: { $0.key.lock == lock && $0.value.holder != nil }) {
                throw LocalReaderError(
                    .unavailable,
                    "the data file in \(directory) was replaced while its lock file stayed; "
                        + "a reader cannot open it beside the old one (restart the reading process)")
            }
            let opened = Holder(try OpenedDataFile(directory: directory, data: data, lock: lock))
            files = files.filter { $0.value.holder != nil }
            files[key] = WeakHolder(holder: opened)
            return opened
        }
    }

    private init(directory: String, data: FileIdentity, lock: FileIdentity) throws(LocalReaderError) {
        var options = Environment.Options()
        options.readOnly = true
        // Address space only: a reader's map never needs resizing for any file up to 1 TiB.
        options.mapSize = 1 << 40
        options.maxDatabases = UInt32(SnapshotReader.databaseCount)
        do {
            environment = try Environment(path: directory, options: options)
        } catch {
            throw error.returnCode == EACCES || error.returnCode == EPERM
                ? Self.lookupError(error.returnCode, directory: directory)
                : LocalReaderError(.io, "cannot open \(directory) for reading", cause: error)
        }
        dataIdentity = data
        lockIdentity = lock
        do {
            reader = try SnapshotReader(environment: environment)
        } catch {
            throw error.code == .corrupted && error.message.contains("no epoch")
                ? LocalReaderError(.unavailable, "\(directory): \(error.message)", cause: error)
                : LocalReaderError(error, path: directory)
        }
    }

    /// Whether `directory`'s data file is still this one. Throws when it cannot be looked
    /// up: a reader never answers from a file its path no longer names.
    func isCurrent(directory: String) throws(LocalReaderError) -> Bool {
        guard let named = FileIdentity(path: directory + "/data.mdb") else {
            throw Self.lookupError(errno, directory: directory)
        }
        let open: FileIdentity
        do {
            open = try environment.dataFileIdentity()
        } catch {
            throw LocalReaderError(.io, "cannot look at the open data file of \(directory)", cause: error)
        }
        return open.isSameLiveFile(as: named)
    }

    private static func lookupError(_ code: Int32, directory: String) -> LocalReaderError {
        switch code {
        case EACCES, EPERM:
            LocalReaderError(
                .notAllowed,
                "permission denied reading \(directory): local reading needs the server started with "
                    + "`tidemark serve --local-readers GROUP` and this user in GROUP")
        case ENOENT, ENOTDIR:
            LocalReaderError(.unavailable, "no tidemark data file in \(directory) (is it the server's --data?)")
        default:
            LocalReaderError(.io, "cannot look up the data file in \(directory): \(String(cString: strerror(code)))")
        }
    }
}
