import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct WriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Record a write: advance the versions of the tables and keys it changed.",
        discussion: """
            Call it after the database COMMIT. Prints the new LSN and the registered names \
            the write invalidated.

            CHANGE is `table` for a change to the whole table (a bulk UPDATE, a TRUNCATE, \
            a migration, SQL whose rows are unknown) or `table:key1,key2` for those keys.

            Example:
              tidemark write users:42,43 orders --meta '{"by":"nightly import"}'
            """)

    @OptionGroup var options: ClientOptions

    @Argument(
        help: ArgumentHelp("What changed: `table` or `table:key1,key2`.", valueName: "change"),
        transform: Arguments.change)
    var changes: [Change]

    @Option(help: ArgumentHelp("A JSON object kept with the record, e.g. who wrote it.", valueName: "json"),
            transform: Arguments.meta)
    var meta: JSONObject?

    func run() async throws {
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                print(try await client.call("write", params: WriteMethod.Params(changes: changes, meta: meta).json))
            } else {
                print(ReadableText.write(try await client.write(changes, meta: meta)))
            }
        }
    }
}
