import Foundation
import Testing
import TidemarkTestSupport

/// Clients running as another user (`nobody`, via setpriv) against the real binary: the
/// kernel's credentials, not anything the client says, decide what it may do. Needs
/// root to change user, as CI runs.
@Suite(.enabled(if: getuid() == 0, "changing to another user needs root"))
struct OtherUserTests {
    static let nobody = OtherUser.nobody

    /// A directory the other user can reach: the socket inside it and a copy of the
    /// binary (the build folder may not be reachable for it).
    private static func prepare() throws -> (TemporaryDirectory, binary: String) {
        let directory = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let binary = directory.path + "/tidemark"
        try FileManager.default.copyItem(atPath: ServerProcess.binaryPath, toPath: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        return (directory, binary)
    }

    private static func runAsNobody(_ binary: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await OtherUser.run([binary] + arguments)
    }

    @Test func anotherUserReadsButCannotWriteByDefault() async throws {
        let (directory, binary) = try Self.prepare()
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: ["--socket-mode", "0666"])
        let denied = try await Self.runAsNobody(binary, ["write", "--socket", directory.socketPath, "users:1"])
        #expect(denied.status != 0)
        #expect(denied.output.contains("-32005") || denied.output.contains("forbidden"), "\(denied.output)")
        let stamped = try await Self.runAsNobody(binary, ["stamp", "--socket", directory.socketPath, "--json", "users:1"])
        #expect(stamped.status == 0, "\(stamped.output)")
        #expect(stamped.output.contains("\"lsn\":0"), "\(stamped.output)")
        #expect(await server.terminate() == 0)
    }

    @Test func namedWriterMayWriteAndTheLogSaysWho() async throws {
        let (directory, binary) = try Self.prepare()
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath,
            arguments: ["--socket-mode", "0666", "--writers", "uid:\(Self.nobody)"])
        let written = try await Self.runAsNobody(binary, ["write", "--socket", directory.socketPath, "users:1"])
        #expect(written.status == 0, "\(written.output)")
        let log = try await Self.runAsNobody(binary, ["log", "--socket", directory.socketPath, "--json"])
        #expect(log.output.contains("\"uid\":\(Self.nobody)"), "\(log.output)")
        #expect(await server.terminate() == 0)
    }

    @Test func socketModeKeepsOtherUsersOut() async throws {
        let (directory, binary) = try Self.prepare()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        let refused = try await Self.runAsNobody(binary, ["stamp", "--socket", directory.socketPath, "users:1"])
        #expect(refused.status != 0)
        #expect(await server.terminate() == 0)
    }
}
