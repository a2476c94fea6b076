#if canImport(Glibc)
import Glibc
#endif

extension DataDirectory {
    /// LMDB's two files: the map, and the lock file holding the reader table.
    static let dataFileName = "data.mdb"
    static let lmdbLockFileName = "lock.mdb"

    /// Sets the modes that decide who may read the store in place. With a group: the
    /// directory 0750, the data file 0640 and LMDB's lock file 0660, all of that group
    /// (a reader registers in the lock file's reader table, so it must write there; it
    /// never writes the data file). Without one: both files 0600, the server's user alone,
    /// and the directory as it is (created 0700; an existing one's mode is the operator's).
    /// Readers take a group-readable data file as the sign that the server allows them.
    func grantLocalReading(to group: UInt32?) throws(StoreError) {
        let owner = uid_t(bitPattern: -1)
        // `alone` nil: left as it is.
        let modes: [(name: String, shared: mode_t, alone: mode_t?)] = [
            ("", 0o750, nil),
            (Self.dataFileName, 0o640, 0o600),
            (Self.lmdbLockFileName, 0o660, 0o600),
        ]
        for (name, shared, alone) in modes {
            let file = name.isEmpty ? path : path + "/" + name
            if let group, chown(file, owner, gid_t(group)) != 0 {
                throw StoreError(
                    .io, "cannot give group \(group) access to \(file) for --local-readers: \(Self.errnoText())")
            }
            guard let mode = group == nil ? alone : shared else { continue }
            guard chmod(file, mode) == 0 else {
                throw StoreError(.io, "cannot set the permissions of \(file): \(Self.errnoText())")
            }
        }
    }
}
