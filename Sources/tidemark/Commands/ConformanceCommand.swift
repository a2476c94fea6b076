import ArgumentParser
import TidemarkClient
import TidemarkConformance

struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run the protocol conformance suite against a running server.",
        discussion: """
            Plays the cases of protocol/conformance/*.ndjson (one group per file) and the \
            scenario checks (group `scenarios`: pipelining, batches, concurrent writers, \
            intent expiry, watch seam, slow watcher, long lines, broken UTF-8, disconnects) \
            over raw connections to the server.

            It writes only to tables and names under `conformance.<random>.` (a new random \
            part per run), and `compact` only at or below the server's current oldest \
            record, which changes nothing; the server's other data stays valid.

            Prints one line per failing case (request, expected and actual response), then \
            `N passed, N failed`. Exit status: 0 if every case passed, 1 otherwise, 2 if the \
            suite could not run.

            Example:
              tidemark conformance --socket /tmp/tm/tidemark.sock --only check
            """)

    @Option(name: .long, help: ArgumentHelp("The server's socket.", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp(
        "Run only this group (a file name without .ndjson, or `scenarios`).", valueName: "group"))
    var only: String?

    @Option(name: .long, help: ArgumentHelp(
        "The directory of the .ndjson cases. Default: protocol/conformance found from the current directory or the binary.",
        valueName: "dir"))
    var cases: String?

    func run() async throws {
        let options = ConformanceOptions(
            socketPath: socket ?? DefaultPaths.socketPath(), casesDirectory: cases, only: only,
            output: { Console.output([$0]) })
        let summary: ConformanceSummary
        do {
            summary = try await ConformanceRunner.run(options)
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        if summary.failed > 0 { throw ExitCode(1) }
    }
}
