import Foundation
import Testing
import TidemarkLocalReader
import TidemarkTestSupport

/// Who may read a data directory in place: nobody but the server's user without
/// `--local-readers`, members of its group with it, never writing the data file.
struct LocalReaderPermissionTests {
    private static func mode(_ path: String) -> (mode: mode_t, group: gid_t) {
        var info = stat()
        #expect(stat(path, &info) == 0, "\(path)")
        return (info.st_mode & 0o777, info.st_gid)
    }

    @Test func withoutTheFlagTheFilesStayPrivateAndReadersAreToldWhichFlagToUse() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        #expect(Self.mode(directory.dataPath).mode == 0o700)
        #expect(Self.mode(directory.dataPath + "/data.mdb").mode == 0o600)
        #expect(Self.mode(directory.dataPath + "/lock.mdb").mode == 0o600)
        let error = #expect(throws: LocalReaderError.self) { _ = try LocalReader(directory: directory.dataPath) }
        #expect(error?.code == .notAllowed)
        #expect(error?.message.contains("--local-readers") == true, "\(error?.message ?? "")")
        #expect(await server.terminate() == 0)
    }

    @Test func theFlagSharesTheDirectoryWithTheGroupAndRestartingWithoutItTakesItBack() async throws {
        let directory = try TemporaryDirectory()
        let group: gid_t = 4242
        var server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: ["--local-readers", "\(group)"])
        #expect(Self.mode(directory.dataPath) == (0o750, group))
        #expect(Self.mode(directory.dataPath + "/data.mdb") == (0o640, group))
        #expect(Self.mode(directory.dataPath + "/lock.mdb") == (0o660, group))
        #expect(Self.mode(directory.dataPath + "/tidemark.lock").mode == 0o600, "the server's own lock stays private")
        #expect(await server.terminate() == 0)
        server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        #expect(Self.mode(directory.dataPath + "/data.mdb").mode == 0o600)
        #expect(Self.mode(directory.dataPath + "/lock.mdb").mode == 0o600)
        #expect(await server.terminate() == 0)
    }

    @Test func anUnknownGroupNameIsAUsageError() async throws {
        let directory = try TemporaryDirectory()
        let refused = try await ServerProcess.runExpectingFailure(
            socketPath: directory.socketPath, dataPath: directory.dataPath,
            arguments: ["--local-readers", "no-such-group-for-tidemark"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("no group named"), "\(refused.output)")
    }
}

/// The same from other users' processes (`setpriv` to `nobody`): a member of the reader
/// group reads, one outside it is refused with the flag named, and neither can write the
/// data file. Needs root to change user, as CI runs.
@Suite(.enabled(if: getuid() == 0, "changing to another user needs root"))
struct LocalReaderOtherUserTests {
    static let group = "4242"

    private static func runAsNobody(groups: String?, _ command: [String]) async throws -> (status: Int32, output: String) {
        try await OtherUser.run(command, groups: groups)
    }

    @Test func aGroupMemberReadsAndAnOutsiderIsRefused() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let binary = directory.path + "/tidemark"
        try FileManager.default.copyItem(atPath: ServerProcess.binaryPath, toPath: binary)
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: ["--local-readers", Self.group])
        let data = directory.dataPath
        let member = try await Self.runAsNobody(groups: Self.group, [binary, "stamp", "--local", data, "--json", "users:1"])
        #expect(member.status == 0, "\(member.output)")
        #expect(member.output.contains("\"lsn\":0"), "\(member.output)")
        let outsider = try await Self.runAsNobody(groups: nil, [binary, "stamp", "--local", data, "users:1"])
        #expect(outsider.status == 2, "\(outsider.output)")
        #expect(outsider.output.contains("--local-readers"), "\(outsider.output)")
        // A member may write LMDB's lock file (its reader slot lives there) but never the data.
        let write = try await Self.runAsNobody(groups: Self.group, ["/bin/sh", "-c", "echo x >> \(data)/data.mdb"])
        #expect(write.status != 0, "\(write.output)")
        let lock = try await Self.runAsNobody(groups: Self.group, ["/bin/sh", "-c", "test -w \(data)/lock.mdb"])
        #expect(lock.status == 0, "\(lock.output)")
        #expect(await server.terminate() == 0)
    }
}
