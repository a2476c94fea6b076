import Foundation
import Testing
@testable import TidemarkStore

@Suite("Data directory")
struct DataDirectoryTests {
    /// Runs `body` with a fresh path under the temporary directory and removes it after.
    private func withPath(_ body: (String) throws -> Void) throws {
        let path = temporaryPath("dir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    private func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    @Test func createsMissingDirectoriesPrivate() throws {
        try withPath { root in
            let path = root + "/a/b/c"
            let directory = try DataDirectory(path: path, create: true, exclusive: true)
            #expect(directory.path == path)
            for created in [root, root + "/a", root + "/a/b", path] {
                #expect(mode(created) == 0o700, "\(created)")
            }
            #expect(mode(path + "/" + DataDirectory.lockFileName) == 0o600)
        }
    }

    @Test func anExistingPrivateOrReadableDirectoryIsAccepted() throws {
        for permissions: mode_t in [0o700, 0o750, 0o755] {
            try withPath { path in
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                #expect(chmod(path, permissions) == 0)
                _ = try DataDirectory(path: path, create: true, exclusive: true)
                #expect(mode(path) == permissions, "an existing directory's mode is left alone")
            }
        }
    }

    @Test(arguments: [0o770, 0o720, 0o702, 0o777, 0o722] as [mode_t])
    func aDirectoryWritableByOthersIsRefused(permissions: mode_t) throws {
        try withPath { path in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            #expect(chmod(path, permissions) == 0)
            for exclusive in [true, false] {
                let error = #expect(throws: StoreError.self) {
                    _ = try DataDirectory(path: path, create: exclusive, exclusive: exclusive)
                }
                #expect(error?.code == .unsafeDirectory)
                #expect(error?.message.contains("chmod 700") == true)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: path).isEmpty)
        }
    }

    @Test func aFileIsNotADataDirectory() throws {
        try withPath { path in
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
            let error = #expect(throws: StoreError.self) {
                _ = try DataDirectory(path: path, create: false, exclusive: true)
            }
            #expect(error?.code == .io)
        }
    }

    @Test func aMissingDirectoryIsNotCreatedWhenNotAsked() throws {
        try withPath { path in
            let error = #expect(throws: StoreError.self) {
                _ = try DataDirectory(path: path, create: false, exclusive: false)
            }
            #expect(error?.code == .io)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func theExclusiveLockRecordsThePIDAndKeepsOthersOut() throws {
        try withPath { path in
            var holder: DataDirectory? = try DataDirectory(path: path, create: true, exclusive: true)
            let lockText = try String(contentsOfFile: path + "/" + DataDirectory.lockFileName, encoding: .utf8)
            #expect(lockText == "\(getpid())\n")

            let error = #expect(throws: StoreError.self) {
                _ = try DataDirectory(path: path, create: false, exclusive: true)
            }
            #expect(error?.code == .locked)
            #expect(error?.message.contains("(pid \(getpid()))") == true)
            // A reader takes no lock, so it is let in (LMDB's lock file coordinates readers).
            _ = try DataDirectory(path: path, create: false, exclusive: false)
            #expect(holder != nil)
            holder = nil
            // Released with the holder: the lock can be taken again.
            _ = try DataDirectory(path: path, create: false, exclusive: true)
        }
    }

    @Test func readersTakeNoLockAndNeverKeepTheWriterOut() throws {
        try withPath { path in
            _ = try DataDirectory(path: path, create: true, exclusive: true)
            let first = try DataDirectory(path: path, create: false, exclusive: false)
            let second = try DataDirectory(path: path, create: false, exclusive: false)
            let writer = try DataDirectory(path: path, create: false, exclusive: true)
            let error = #expect(throws: StoreError.self) {
                _ = try DataDirectory(path: path, create: false, exclusive: true)
            }
            #expect(error?.code == .locked)
            withExtendedLifetime((first, second, writer)) {}
        }
    }
}
