import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct BeginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "begin",
        abstract: "Announce a transaction's changes before its COMMIT; prints the intent id.",
        discussion: """
            Until `tidemark commit INTENT` or `tidemark abort INTENT`, every dependency the \
            changes cover reads as not valid and not cacheable. An intent left open past \
            its lease is expired and counted as committed.

            CHANGE is `table` for a change to the whole table or `table:key1,key2`.

            Example:
              intent=$(tidemark begin users:42 --ttl-ms 10000)
              psql -c 'UPDATE users SET … WHERE id = 42'
              tidemark commit "$intent"
            """)

    @OptionGroup var options: ClientOptions

    @Argument(
        help: ArgumentHelp("What the transaction changes: `table` or `table:key1,key2`.", valueName: "change"),
        transform: Arguments.change)
    var changes: [Change]

    @Option(name: .customLong("ttl-ms"), help: ArgumentHelp("The lease (default: the server's, 30 s).", valueName: "ms"))
    var ttlMs: UInt64?

    @Option(help: ArgumentHelp("A JSON object kept with the records.", valueName: "json"), transform: Arguments.meta)
    var meta: JSONObject?

    func run() async throws {
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                print(try await client.call("begin", params: BeginMethod.Params(changes: changes, ttlMs: ttlMs, meta: meta).json))
            } else {
                print(ReadableText.begin(try await client.begin(changes, ttlMs: ttlMs, meta: meta)))
            }
        }
    }
}
