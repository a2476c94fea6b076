import ArgumentParser
import TidemarkClient
import TidemarkStore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a data directory offline: replay the retained log against the stored state.",
        discussion: """
            Opens the data directory read-only (no lock: it works with the server stopped \
            or beside a running one), replays the retained change log and recomputes every \
            version, intent, pending count and name index from it, and prints each \
            disagreement with the stored state, then a one-line summary.

            Exit status: 0 when clean, 1 when any discrepancy was found, 2 when the \
            directory cannot be opened or read.

            Example:
              tidemark verify --data /var/lib/tidemark --json
            """)

    @Option(
        help: ArgumentHelp(
            "The data directory to check; nothing in it is changed.",
            discussion: "Default: $TIDEMARK_DATA, else $XDG_STATE_HOME/tidemark, else $HOME/.local/state/tidemark.",
            valueName: "dir"))
    var data: String?

    @Flag(name: .long, help: "Print the report as one JSON object instead of text for people.")
    var json = false

    func run() throws {
        let path = data ?? DefaultPaths.dataPath()
        let report: VerificationReport
        do throws(StoreError) {
            var options = LMDBStore.Options()
            options.readOnly = true
            report = try LMDBStore(path: path, options: options).verify()
        } catch {
            Console.error(error.cause.map { "\(error.message) (\($0))" } ?? error.message)
            throw ExitCode(2)
        }
        if json {
            Console.output([report.jsonText])
        } else {
            Console.output(report.discrepancies.map(\.description) + [report.summary])
        }
        if !report.isClean { throw ExitCode(1) }
    }
}
