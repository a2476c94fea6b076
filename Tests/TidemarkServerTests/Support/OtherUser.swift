import Foundation

/// Runs commands as `nobody` through setpriv, so that the kernel's credentials (not
/// anything a client says) decide what they may do. Needs root.
enum OtherUser {
    static let nobody = "65534"

    /// Runs `command` as nobody with exactly `groups` as its supplementary groups (none
    /// when nil); returns its exit status and everything it printed.
    static func run(_ command: [String], groups: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        let groupArguments = groups.map { ["--groups", $0] } ?? ["--clear-groups"]
        process.arguments = ["--reuid", nobody, "--regid", nobody] + groupArguments + ["--"] + command
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
