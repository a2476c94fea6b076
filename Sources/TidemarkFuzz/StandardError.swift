#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error (Glibc's `stderr` is not concurrency-safe to name).
func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
