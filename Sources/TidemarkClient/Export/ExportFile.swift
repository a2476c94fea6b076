#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TidemarkProtocol
import TidemarkStore

/// Lines written to a file (created or truncated, mode 0600) or to stdout.
public final class ExportFileWriter {
    private let file: UnsafeMutablePointer<FILE>
    public let path: String

    /// `nil` or `-` for stdout.
    public init(path: String?) throws(TidemarkClientError) {
        let standardOutput = path == nil || path == "-"
        self.path = standardOutput ? "stdout" : path ?? ""
        // Its own stream on a copy of the descriptor, so closing it leaves stdout open.
        let descriptor = standardOutput
            ? dup(STDOUT_FILENO) : open(self.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0, let file = fdopen(descriptor, "w") else {
            throw TidemarkClientError(.invalidArgument, "cannot write \(self.path): \(String(cString: strerror(errno)))")
        }
        self.file = file
    }

    public func write(_ lines: [String]) throws(TidemarkClientError) {
        for line in lines {
            var text = line
            text += "\n"
            let written = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) }
            guard written == text.utf8.count else { throw failure() }
        }
    }

    /// Flushes and, for a file, closes it; an error here means the export is incomplete.
    public func finish() throws(TidemarkClientError) {
        guard !finished else { return }
        finished = true
        guard fclose(file) == 0 else { throw failure() }
    }

    private var finished = false

    deinit {
        if !finished { fclose(file) }
    }

    private func failure() -> TidemarkClientError {
        TidemarkClientError(.invalidArgument, "cannot write \(path): \(String(cString: strerror(errno)))")
    }
}

/// The lines of an export file (or stdin), read one at a time, of any length.
public final class ExportFileReader {
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    public private(set) var lineNumber = 0

    /// `-` for stdin.
    public init(path: String) throws(TidemarkClientError) {
        let descriptor = path == "-" ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, let file = fdopen(descriptor, "r") else {
            throw TidemarkClientError(.invalidArgument, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
    }

    deinit {
        free(buffer)
        fclose(file)
    }

    /// The next header or record; nil at the end of the file.
    public func next() throws(TidemarkClientError) -> LogExport.Line? {
        while true {
            let length = getline(&buffer, &capacity, file)
            guard length >= 0, let buffer else {
                if ferror(file) != 0 {
                    throw TidemarkClientError(.invalidArgument, "cannot read the export: \(String(cString: strerror(errno)))")
                }
                return nil
            }
            lineNumber += 1
            var bytes = UnsafeRawBufferPointer(start: buffer, count: length)
            if bytes.last == UInt8(ascii: "\n") { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
            if let line = try LogExport.parse(bytes, number: lineNumber) { return line }
        }
    }
}
