import ArgumentParser
import TidemarkLocalReader

/// `--local DIR`, for the read commands that can answer from the data file in place.
struct LocalOption: ParsableArguments {
    @Option(
        name: .customLong("local"),
        help: ArgumentHelp(
            "Read the server's data directory in place instead of asking over the socket.",
            discussion: "Needs `tidemark serve --local-readers GROUP` and this user in GROUP; same answers as the socket.",
            valueName: "dir"))
    var directory: String?

    /// Runs `body` with a reader of `directory`. A failure is reported on stderr and ends
    /// the command with status 2, as a failed connection does.
    func withReader<Result>(
        _ directory: String, _ body: (LocalReader) throws(LocalReaderError) -> Result
    ) throws -> Result {
        do throws(LocalReaderError) {
            return try body(try LocalReader(directory: directory))
        } catch {
            let field = error.field.map { " (field \($0))" } ?? ""
            Console.error(error.message + field)
            throw ExitCode(2)
        }
    }
}
