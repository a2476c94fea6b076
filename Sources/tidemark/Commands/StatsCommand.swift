import ArgumentParser
import TidemarkClient

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the server's counts, sizes, uptime, sync mode and connections.",
        discussion: """
            Example:
              tidemark stats --socket /run/tidemark/tidemark.sock
            """)

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.withClient { client throws(TidemarkClientError) in
            let stats = try await client.stats()
            print(options.json ? stats.jsonString : ReadableText.stats(stats))
        }
    }
}
