import ArgumentParser
import TidemarkClient
import TidemarkProtocol

struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Withdraw an intent whose transaction rolled back; advances nothing.",
        discussion: """
            Example:
              tidemark abort 01HZX3…
            """)

    @OptionGroup var options: ClientOptions

    @Argument(help: ArgumentHelp("The id `tidemark begin` printed.", valueName: "intent"))
    var intent: String

    func run() async throws {
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                print(try await client.call("abort", params: IntentMethod.Params(intent: intent).json))
            } else {
                print(ReadableText.abort(lsn: try await client.abort(intent: intent)))
            }
        }
    }
}
