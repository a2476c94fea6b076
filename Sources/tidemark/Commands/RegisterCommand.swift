import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register a cache key name with its stamp and dependencies.",
        discussion: """
            Later `tidemark check --name NAME` answers for it, and a write reports it as \
            invalidated. The name is stored only if the stamp is still valid.

            DEP is `table` (the whole table) or `table:key`; `table:k1,k2` names one \
            dependency per key.

            Example:
              tidemark register user-page-42 --epoch 5f0c…e1 --lsn 41 --ttl-ms 600000 users:42
            """)

    @OptionGroup var options: ClientOptions

    @Argument(help: ArgumentHelp("The cache key's name.", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("The stamp's epoch (32 hex digits).", valueName: "epoch"), transform: Arguments.epoch)
    var epoch: Epoch

    @Option(help: ArgumentHelp("The stamp's LSN.", valueName: "lsn"))
    var lsn: UInt64

    @Option(name: .customLong("ttl-ms"), help: ArgumentHelp("How long the name is kept (default: the server's, 1 hour).", valueName: "ms"))
    var ttlMs: UInt64?

    @Argument(help: ArgumentHelp("A dependency of the entry: `table` or `table:key`.", valueName: "dep"))
    var deps: [String] = []

    func run() async throws {
        let params = RegisterMethod.Params(
            name: name, stamp: Stamp(epoch: epoch, lsn: lsn), deps: try Arguments.deps(deps), ttlMs: ttlMs)
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                print(try await client.call("register", params: params.json))
            } else {
                print(ReadableText.register(
                    try await client.register(name: params.name, stamp: params.stamp, deps: params.deps, ttlMs: ttlMs)))
            }
        }
    }
}
