import Foundation

/// A command run to its end, its output (stdout and stderr together) read from a file
/// afterwards: for tools such as `pg_ctl start` that leave a daemon behind, which would
/// hold a pipe open for its whole life.
public enum ShortCommand {
    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var output: String
        public var description: String { "\(command) exited \(status):\n\(output)" }
    }

    /// Runs the command and returns its trimmed output; a non-zero exit throws it.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let outputPath = "/tmp/tm-cmd-\(UUID().uuidString.prefix(12)).out"
        defer { unlink(outputPath) }
        let started = try Spawn.start(executable, arguments, output: .file(outputPath))
        let status = await Spawn.exitStatus(of: started.pid)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(command: ([executable] + arguments).joined(separator: " "), status: status, output: output)
        }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
