import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct WhyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "why",
        abstract: "Explain why a cached entry is, or is not, valid.",
        discussion: """
            Give the entry's stamp and deps (--lsn, --dep; --epoch defaults to the server's \
            current one), or the name it was registered under (--name). Prints whether it is \
            valid now and, if not, the records after the stamp that changed which of its deps \
            (LSN, time, kind, writer pid/uid, the changes, meta), and the open intents that \
            cover them (id, begin LSN, writer, meta). When those records were compacted away, \
            it says so, and names the earliest retained change to each dep.

            The server keeps a name's stamp and deps to itself: for a name that is unknown or \
            expired, give --lsn and --dep too to have them explained.

            Exit status: 0 when valid, 1 when not valid, 2 for errors, 64 for bad usage.

            Examples:
              tidemark why --lsn 41 --dep users:42 --dep orders
              tidemark why --name user-page-42 --json
            """)

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("A name given to `register`.", valueName: "name"))
    var name: String?

    @Option(
        help: ArgumentHelp("The stamp's epoch (32 hex digits; default: the server's).", valueName: "epoch"),
        transform: Arguments.epoch)
    var epoch: Epoch?

    @Option(help: ArgumentHelp("The stamp's LSN.", valueName: "lsn"))
    var lsn: UInt64?

    @Option(name: .customLong("dep"), help: ArgumentHelp("A dependency: `table` or `table:key`; repeatable.", valueName: "dep"))
    var deps: [String] = []

    func validate() throws {
        if name == nil && lsn == nil { throw ValidationError("give --lsn and --dep (the stamp and its deps), or --name") }
        if lsn == nil && (epoch != nil || !deps.isEmpty) { throw ValidationError("--epoch and --dep need --lsn") }
    }

    func run() async throws {
        let query = WhyQuery(name: name, epoch: epoch, lsn: lsn, deps: try Arguments.deps(deps))
        let explanation = try await options.withClient { client throws(TidemarkClientError) in
            try await Explanation.build(query, client: client)
        }
        print(options.json ? WhyText.json(explanation).jsonString : WhyText.render(explanation))
        if explanation.exitStatus != 0 { throw ExitCode(explanation.exitStatus) }
    }
}
