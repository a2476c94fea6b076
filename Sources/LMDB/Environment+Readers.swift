import CLMDB

#if canImport(Glibc)
import Glibc
#endif

extension Environment {
    /// Frees the reader-table slots of processes that died inside a read transaction
    /// (`mdb_reader_check`). Until then such a slot keeps its snapshot's pages from being
    /// reused, and the file grows. Returns how many slots were cleared.
    @discardableResult
    public func clearStaleReaders() throws(LMDBError) -> Int {
        var dead: Int32 = 0
        try LMDBError.check(mdb_reader_check(handle, &dead), "mdb_reader_check")
        return Int(dead)
    }

    /// Which file the environment has open: a reader compares it with what the data path
    /// names now to notice a data directory that was replaced under it.
    public func dataFileIdentity() throws(LMDBError) -> FileIdentity {
        var descriptor: Int32 = -1
        try LMDBError.check(mdb_env_get_fd(handle, &descriptor), "mdb_env_get_fd")
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw LMDBError(returnCode: errno, operation: "fstat") }
        return FileIdentity(info)
    }
}

/// A file as the kernel knows it: device and inode (what equality compares), and whether
/// any name still links to it.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    /// 0 once the file was deleted (it lives on while someone has it open or mapped).
    public let linkCount: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        linkCount = UInt64(info.st_nlink)
    }

    /// The file `path` names now, or nil (with `errno` set) when it cannot be looked up.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    public static func == (left: FileIdentity, right: FileIdentity) -> Bool {
        left.device == right.device && left.inode == right.inode
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(device)
        hasher.combine(inode)
    }

    /// Whether both name the same live file. A deleted file's inode number may be given to
    /// a new one, so a file with no links left is never the same as anything.
    public func isSameLiveFile(as other: FileIdentity) -> Bool {
        linkCount > 0 && self == other
    }
}
