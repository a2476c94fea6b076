import ArgumentParser
import TidemarkClient
import TidemarkProtocol

struct CommitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Confirm an intent after the database COMMIT; advances its versions like a write.",
        discussion: """
            Example:
              tidemark commit 01HZX3…
            """)

    @OptionGroup var options: ClientOptions

    @Argument(help: ArgumentHelp("The id `tidemark begin` printed.", valueName: "intent"))
    var intent: String

    func run() async throws {
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                print(try await client.call("commit", params: IntentMethod.Params(intent: intent).json))
            } else {
                print(ReadableText.write(try await client.commit(intent: intent)))
            }
        }
    }
}
