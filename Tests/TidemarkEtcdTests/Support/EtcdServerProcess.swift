import Foundation
import TidemarkClient
import TidemarkTestSupport

/// `tidemark serve --backend etcd` as a child process, on the machine or on a host of its
/// own (`IsolatedHosts`), so that it reaches etcd over that host's link.
final class EtcdServerProcess: Sendable {
    let socketPath: String
    private let child: ChildProcess

    /// Starts the server and returns once it listens, or throws with what it printed.
    static func start(
        socketPath: String, etcd: String, on host: (hosts: IsolatedHosts, index: Int)? = nil, arguments: [String] = []
    ) async throws -> EtcdServerProcess {
        let serve = [
            "serve", "--backend", "etcd", "--etcd", etcd, "--socket", socketPath, "--etcd-timeout", "1s",
        ] + arguments
        let command = host.map { $0.hosts.command(in: $0.index, ChildProcess.tidemarkBinary, serve) }
            ?? (executable: ChildProcess.tidemarkBinary, arguments: serve)
        let server = EtcdServerProcess(
            socketPath: socketPath, child: try ChildProcess(executable: command.executable, arguments: command.arguments))
        guard await server.child.waitForOutput("listening", seconds: 60) else {
            await server.kill()
            throw EtcdClusterError(message: "tidemark serve --backend etcd did not start:\n\(await server.child.finalOutput())")
        }
        return server
    }

    private init(socketPath: String, child: ChildProcess) {
        self.socketPath = socketPath
        self.child = child
    }

    func connect() async throws -> TidemarkClient {
        try await TidemarkClient.connect(socketPath: socketPath)
    }

    /// SIGKILL: no chance to finish anything.
    func kill() async {
        await child.kill()
    }

    func terminate() async -> Int32 {
        await child.terminate()
    }

    var outputText: String { child.outputText }
}
