import Foundation
import Synchronization

/// The real `tidemark serve` binary as a child process, for what only a separate process
/// can show: `kill -9`, signals, locks and stale sockets.
final class ServerProcess: Sendable {
    let socketPath: String
    let dataPath: String
    private let process: Process
    private let output: OutputBuffer
    private let exited: AsyncStream<Int32>

    /// The binary built beside the test bundle (or `$TIDEMARK_BIN`).
    static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["TIDEMARK_BIN"] { return path }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("tidemark").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/tidemark"
    }

    /// Starts the server and returns once it listens, or throws with what it printed if it
    /// exits first.
    static func start(socketPath: String, dataPath: String, arguments: [String] = []) async throws -> ServerProcess {
        let server = try ServerProcess(socketPath: socketPath, dataPath: dataPath, arguments: arguments)
        try await server.waitUntilListening()
        return server
    }

    /// Runs a server that is expected to refuse to start; returns its exit status and output.
    static func runExpectingFailure(socketPath: String, dataPath: String, arguments: [String] = []) async throws -> (status: Int32, output: String) {
        let server = try ServerProcess(socketPath: socketPath, dataPath: dataPath, arguments: arguments)
        let status = await server.waitForExit()
        return (status, server.outputText)
    }

    private init(socketPath: String, dataPath: String, arguments: [String]) throws {
        self.socketPath = socketPath
        self.dataPath = dataPath
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = ["serve", "--socket", socketPath, "--data", dataPath] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputBuffer()
        let (lines, linesSink) = AsyncStream.makeStream(of: Void.self)
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            output.append(String(decoding: data, as: UTF8.self))
            linesSink.yield()
        }
        let (exited, exitedSink) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { process in
            exitedSink.yield(process.terminationStatus)
            exitedSink.finish()
            linesSink.finish()
        }
        try process.run()
        self.process = process
        self.output = output
        self.exited = exited
        self.outputChanges = lines
    }

    private let outputChanges: AsyncStream<Void>

    var outputText: String { output.text }
    var pid: Int32 { process.processIdentifier }

    private func waitUntilListening() async throws {
        for await _ in outputChanges where outputText.contains("listening") { return }
        if outputText.contains("listening") { return }
        throw ServerProcessError.didNotStart(outputText)
    }

    func waitForExit() async -> Int32 {
        for await status in exited { return status }
        return process.terminationStatus
    }

    /// SIGKILL: no chance to flush or clean up anything.
    func kill() async {
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit()
    }

    /// SIGTERM and wait for a graceful exit; returns the exit status.
    func terminate() async -> Int32 {
        Foundation.kill(process.processIdentifier, SIGTERM)
        return await waitForExit()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
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

/// What the child printed, shared with the pipe's reading callback.
private final class OutputBuffer: Sendable {
    private let value = Mutex("")

    func append(_ text: String) {
        value.withLock { $0 += text }
    }

    var text: String {
        value.withLock { $0 }
    }
}
