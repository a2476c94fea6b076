import Foundation

/// The tests' one way to start a process: posix_spawn, reaped by a blocking waitpid on a
/// thread of its own. Foundation's Process is not used anywhere in the tests: on Linux
/// its `run()` crashed the whole test process (a memcpy fault inside it, seen in CI while
/// other tests held thousands of sockets), it can miss the exit of a short child (left a
/// zombie, the test hung), and its blocking wait would hold a thread of the concurrency
/// pool.
public enum Spawn {
    /// Where the child's stdout and stderr go.
    public enum Output: Sendable {
        /// Both into one pipe, read by the parent.
        case pipe
        /// Both into one file.
        case file(String)
        /// Each into its own file.
        case files(stdout: String, stderr: String)
    }

    /// A started child: its pid, and the parent's ends of the pipes asked for.
    public struct Started: Sendable {
        public var pid: pid_t
        /// Write end of the child's stdin, when asked for (else stdin is /dev/null).
        public var input: Int32?
        /// Read end of the child's stdout and stderr, for `.pipe`.
        public var output: Int32?
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        input wantsInput: Bool = false, output: Output
    ) throws -> Started {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        // The parent's ends are close-on-exec, so no other child spawned meanwhile
        // inherits them and holds a pipe open past this child's exit.
        var inputPipe: (read: Int32, write: Int32)?
        if wantsInput {
            inputPipe = try makePipe()
            posix_spawn_file_actions_adddup2(&actions, inputPipe!.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        var outputPipe: (read: Int32, write: Int32)?
        switch output {
        case .pipe:
            outputPipe = try makePipe()
            posix_spawn_file_actions_adddup2(&actions, outputPipe!.write, 1)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .files(let stdout, let stderr):
            posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        // Nothing else of the test process: a daemon it starts (`pg_ctl start`) would
        // otherwise keep the tests' sockets open for its whole life, and a server would
        // never see a test's client close.
        _ = addCloseFrom?(&actions, 3)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { variables in
            variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { envp?.forEach { free($0) } }

        var pid: pid_t = 0
        let result: Int32
        if let envp {
            result = envp.withUnsafeBufferPointer { posix_spawn(&pid, executable, &actions, nil, argv, $0.baseAddress) }
        } else {
            result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        }
        if let inputPipe { close(inputPipe.read) }
        if let outputPipe { close(outputPipe.write) }
        guard result == 0 else {
            if let inputPipe { close(inputPipe.write) }
            if let outputPipe { close(outputPipe.read) }
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return Started(pid: pid, input: inputPipe?.write, output: outputPipe?.read)
    }

    /// The child's exit status (128 + N when killed by signal N), once it has exited.
    public static func exitStatus(of pid: pid_t) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                let exited = raw & 0x7f == 0
                continuation.resume(returning: exited ? (raw >> 8) & 0xff : 128 + (raw & 0x7f))
            }
        }
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // pipe2(O_CLOEXEC) is not in Swift's Glibc module; every child spawned here
        // closes all descriptors from 3 anyway, so the moment between is harmless.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 on), which Swift's Glibc
    /// module does not declare.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
