import Foundation
import TidemarkTestSupport

/// The real `tidemark serve` binary as a child process, for what only a separate process
/// can show: `kill -9`, signals, locks and stale sockets.
final class ServerProcess: Sendable {
    let socketPath: String
    let dataPath: String
    private let child: ChildProcess

    /// The binary built beside the test bundle (or `$TIDEMARK_BIN`).
    static var binaryPath: String { ChildProcess.tidemarkBinary }

    /// Starts the server and returns once it listens, or throws with what it printed if it
    /// exits first.
    static func start(socketPath: String, dataPath: String, arguments: [String] = []) async throws -> ServerProcess {
        let server = try ServerProcess(socketPath: socketPath, dataPath: dataPath, arguments: arguments)
        guard await server.child.waitForOutput("listening") else { throw ServerProcessError.didNotStart(server.outputText) }
        return server
    }

    /// Runs a server that is expected to refuse to start; returns its exit status and output.
    static func runExpectingFailure(socketPath: String, dataPath: String, arguments: [String] = []) async throws -> (status: Int32, output: String) {
        let server = try ServerProcess(socketPath: socketPath, dataPath: dataPath, arguments: arguments)
        let status = await server.waitForExit()
        // The exit can be seen before the pipe's last bytes are read.
        return (status, await server.finalOutput())
    }

    private init(socketPath: String, dataPath: String, arguments: [String]) throws {
        self.socketPath = socketPath
        self.dataPath = dataPath
        child = try ChildProcess(
            executable: Self.binaryPath, arguments: ["serve", "--socket", socketPath, "--data", dataPath] + arguments)
    }

    var outputText: String { child.outputText }
    /// Everything it printed, once its output has ended.
    func finalOutput() async -> String { await child.finalOutput() }
    var pid: Int32 { child.pid }

    func waitForExit() async -> Int32 {
        await child.waitForExit()
    }

    /// SIGKILL: no chance to flush or clean up anything.
    func kill() async {
        await child.kill()
    }

    /// SIGTERM and wait for a graceful exit; returns the exit status.
    func terminate() async -> Int32 {
        await child.terminate()
    }
}

enum ServerProcessError: Error, CustomStringConvertible {
    case didNotStart(String)

    var description: String {
        switch self {
        case .didNotStart(let output): "the server exited before listening:\n\(output)"
        }
    }
}
