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

            With --disposable it runs instead only the checks that harm a server (group \
            `disposable`: -32005 forbidden, -32001 overloaded, -32002 storage full, then \
            SIGTERM and -32006 shutting down), against a server started for them:
              tidemark serve --map-size 2MiB --max-queued-writes 4 --readers uid:<another user>
            It fills that server's map, compacts its log and stops it.

            Prints one line per failing case (request, expected and actual response), then \
            `N passed, N failed`. Exit status: 0 if every case passed, 1 otherwise, 2 if the \
            suite could not run.

            Example:
              tidemark conformance --socket /tmp/tm/tidemark.sock --only check
            """)

    @OptionGroup var server: SocketOption

    @Option(name: .long, help: ArgumentHelp(
        "Run only this group (a file name without .ndjson, or `scenarios`).", valueName: "group"))
    var only: String?

    @Option(name: .long, help: ArgumentHelp(
        "The directory of the .ndjson cases. Default: protocol/conformance found from the current directory or the binary.",
        valueName: "dir"))
    var cases: String?

    @Flag(help: "Run only the checks that fill, overload and stop a server started for them (see above).")
    var disposable = false

    func run() async throws {
        let options = ConformanceOptions(
            socketPath: server.socketPath, casesDirectory: cases, only: only, disposable: disposable,
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
