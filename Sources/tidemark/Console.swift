#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TidemarkClient

/// Output to the terminal. Errors go to stderr as one `error: …` line.
enum Console {
    static func error(_ message: String) {
        standardError("error: \(message)\n")
    }

    static func warning(_ message: String) {
        standardError("warning: \(message)\n")
    }

    static func note(_ message: String) {
        standardError("note: \(message)\n")
    }

    /// Lines on stdout, flushed at once: a follower's output must reach a pipe or a file
    /// as it happens, not when a buffer fills.
    static func output(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        var text = lines.joined(separator: "\n")
        text += "\n"
        print(text, terminator: "")
        fflush(nil)
    }

    static func report(_ error: TidemarkClientError) {
        if let rpcError = error.rpcError {
            var text = "\(rpcError.message) (code \(rpcError.code)"
            if let data = rpcError.data { text += ", data \(data.jsonString)" }
            Self.error(text + ")")
        } else if error.code == .connectionFailed {
            Self.error("\(error.message) (is `tidemark serve` running there?)")
        } else {
            Self.error(error.description)
        }
    }

    private static func standardError(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
