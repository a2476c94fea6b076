import Foundation
import TidemarkTestSupport

/// Runs commands as `nobody` through setpriv, so that the kernel's credentials (not
/// anything a client says) decide what they may do. Needs root.
enum OtherUser {
    static let nobody = "65534"

    /// Runs `command` as nobody with exactly `groups` as its supplementary groups (none
    /// when nil); returns its exit status and everything it printed.
    static func run(_ command: [String], groups: String? = nil) async throws -> (status: Int32, output: String) {
        let groupArguments = groups.map { ["--groups", $0] } ?? ["--clear-groups"]
        let process = try ChildProcess(
            executable: "/usr/bin/setpriv",
            arguments: ["--reuid", nobody, "--regid", nobody] + groupArguments + ["--"] + command)
        let status = await process.waitForExit()
        return (status, await process.finalOutput())
    }
}
