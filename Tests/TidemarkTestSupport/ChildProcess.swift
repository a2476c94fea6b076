import Foundation
import Synchronization

/// A child process whose output (stdout and stderr together) is collected, to wait for a
/// line, signal it and reap it: for what only a separate process can show (`kill -9`,
/// signals, restarts). Killed with SIGKILL if still running when released.
public final class ChildProcess: Sendable {
    public let pid: Int32
    private let input: Int32?
    private let output = CollectedOutput()
    private let exit = ExitStatus()

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

    /// Starts `executable`; with `input`, its stdin is a pipe fed by `send(_:)`, else
    /// /dev/null.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil, input: Bool = false) throws {
        let started = try Spawn.start(executable, arguments, environment: environment, input: input, output: .pipe)
        pid = started.pid
        self.input = started.input
        let output = output
        let readEnd = started.output!
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                output.append(String(decoding: buffer[..<count], as: UTF8.self))
            }
            close(readEnd)
            output.end()
        }
        let exit = exit
        let pid = pid
        Thread.detachNewThread {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            let exited = raw & 0x7f == 0
            exit.set(exited ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
            // A process it started may hold the pipe open: waiting for output ends with
            // its exit all the same, give or take a moment for the last bytes.
            let deadline = Date().addingTimeInterval(5)
            while !output.ended && Date() < deadline { usleep(10_000) }
            output.end()
        }
    }

    public var outputText: String { output.text }
    public var isRunning: Bool { exit.status == nil }

    /// Writes `text` to the child's stdin (started with `input: true`).
    public func send(_ text: String) throws {
        guard let input else { throw Spawn.Failure(description: "started without an input pipe") }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw Spawn.Failure(description: "write to stdin: \(String(cString: strerror(errno)))") }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Returns once the output contains `text`; false if the output ended first.
    public func waitForOutput(_ text: String) async -> Bool {
        await output.wait(for: text)
    }

    /// Returns once the output contains `text`; false if the output ended first or
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
        _ = await waitForOutput("\u{0}never printed\u{0}", seconds: 5)
        return outputText
    }

    public func waitForExit() async -> Int32 {
        await exit.wait()
    }

    /// SIGKILL: no chance to flush or clean up anything.
    public func kill() async {
        Glibc.kill(pid, SIGKILL)
        _ = await waitForExit()
    }

    /// SIGTERM, then the exit status.
    public func terminate() async -> Int32 {
        Glibc.kill(pid, SIGTERM)
        return await waitForExit()
    }

    deinit {
        if let input { close(input) }
        if isRunning { Glibc.kill(pid, SIGKILL) }
    }
}

/// The child's exit status, set once by the thread that reaps it.
private final class ExitStatus: Sendable {
    private let state = Mutex((status: Int32?.none, waiters: [CheckedContinuation<Int32, Never>]()))

    var status: Int32? { state.withLock { $0.status } }

    func set(_ status: Int32) {
        let waiters = state.withLock { state in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume(returning: status) }
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}

/// What the child printed, shared with the thread reading the pipe; waiters for a text
/// are answered as soon as it appears, or with false when the output ends or they are
/// cancelled.
private final class CollectedOutput: Sendable {
    private struct Waiter {
        var text: String
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var text = ""
        var ended = false
        var nextWaiter = 0
        var waiters: [Int: Waiter] = [:]
    }

    private let state = Mutex(State())

    var text: String { state.withLock { $0.text } }
    var ended: Bool { state.withLock { $0.ended } }

    func append(_ chunk: String) {
        let found = state.withLock { state in
            state.text += chunk
            let found = state.waiters.filter { state.text.contains($0.value.text) }
            found.keys.forEach { state.waiters[$0] = nil }
            return found.values.map(\.continuation)
        }
        found.forEach { $0.resume(returning: true) }
    }

    /// The pipe reached end of file: nothing more will be appended.
    func end() {
        let waiting = state.withLock { state in
            state.ended = true
            defer { state.waiters = [:] }
            return state.waiters.values.map(\.continuation)
        }
        waiting.forEach { $0.resume(returning: false) }
    }

    func wait(for text: String) async -> Bool {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer: Bool? = state.withLock { state in
                    if state.text.contains(text) { return true }
                    if state.ended || Task.isCancelled { return false }
                    state.waiters[id] = Waiter(text: text, continuation: continuation)
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(returning: false)
        }
    }
}
