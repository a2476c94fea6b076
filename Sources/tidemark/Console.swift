#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TidemarkClient

/// Output to the terminal. Errors go to stderr as one `error: …` line.
enum Console {
    static func error(_ message: String) {
        let bytes = Array("error: \(message)\n".utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
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
}
