import Foundation
import Synchronization

/// A child process whose output (stdout and stderr together) is collected, to wait for a
/// line, signal it and reap it: for what only a separate process can show (`kill -9`,
/// signals, restarts). Killed with SIGKILL if still running when released.
public final class ChildProcess: Sendable {
    private let process: Process
    private let output: CollectedOutput
    private let exited: AsyncStream<Int32>
    private let outputChanges: AsyncStream<Void>

    /// The `tidemark` binary built beside the test bundle (or `$TIDEMARK_BIN`).
    public static var tidemarkBinary: String {
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

    public init(executable: String, arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = CollectedOutput()
        let (lines, linesSink) = AsyncStream.makeStream(of: Void.self)
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                output.end()
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

    public var outputText: String { output.text }
    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Returns once the output contains `text`; false if the process exited first.
    public func waitForOutput(_ text: String) async -> Bool {
        for await _ in outputChanges where outputText.contains(text) { return true }
        return outputText.contains(text)
    }

    /// Returns once the output contains `text`; false if the process exited first or
    /// `seconds` passed.
    public func waitForOutput(_ text: String, seconds: Double) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForOutput(text) }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || outputText.contains(text)
        }
    }

    /// Everything the process printed, once its output has ended (or after 5 s, should a
    /// process it started keep the pipe open).
    public func finalOutput() async -> String {
        let deadline = ContinuousClock.now + .seconds(5)
        while !output.ended && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return outputText
    }

    public func waitForExit() async -> Int32 {
        for await status in exited { return status }
        return process.terminationStatus
    }

    /// SIGKILL: no chance to flush or clean up anything.
    public func kill() async {
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit()
    }

    /// SIGTERM, then the exit status.
    public func terminate() async -> Int32 {
        Foundation.kill(process.processIdentifier, SIGTERM)
        return await waitForExit()
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// What the child printed, shared with the pipe's reading callback.
private final class CollectedOutput: Sendable {
    private let value = Mutex((text: "", ended: false))

    func append(_ text: String) {
        value.withLock { $0.text += text }
    }

    /// The pipe reached end of file: nothing more will be appended.
    func end() {
        value.withLock { $0.ended = true }
    }

    var text: String {
        value.withLock { $0.text }
    }

    var ended: Bool {
        value.withLock { $0.ended }
    }
}
