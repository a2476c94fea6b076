import LMDB

#if canImport(Glibc)
import Glibc
#endif

extension LMDBStore {
    /// What a writer does at start for same-host readers: sets who may read the files, and
    /// clears the reader slots of processes that died mid-read while it was down.
    ///
    /// With readers, it then waits `SnapshotReader.startDelay` before anyone is answered:
    /// a reader re-checks which file its data path names at least every
    /// `SnapshotReader.identityInterval`, so by the time this store answers (and so can
    /// record a write the old file never sees), every reader still on a replaced data
    /// directory has noticed and reopened.
    func openForLocalReaders() throws(StoreError) {
        try directory.grantLocalReading(to: options.localReaderGroup)
        do {
            try environment.clearStaleReaders()
        } catch {
            throw Self.storeError(error, "cannot clear stale reader slots in \(path)")
        }
        if options.localReaderGroup != nil {
            let delay = SnapshotReader.startDelay.components
            var request = timespec(tv_sec: Int(delay.seconds), tv_nsec: Int(delay.attoseconds / 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
        }
    }

    public func clearStaleReaders() throws(StoreError) -> Int {
        try guarded("cannot clear stale reader slots") { try environment.clearStaleReaders() }
    }
}
