import ArgumentParser
import TidemarkClient
import TidemarkProtocol

struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Drop old log records; versions are never lost.",
        discussion: """
            Removes every record below LSN (at most up to the current one) and prints the \
            new oldest retained LSN. `log` and `watch` from below it then fail.

            Example:
              tidemark compact --before 100000
            """)

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("Drop the records below this LSN.", valueName: "lsn"))
    var before: UInt64

    func run() async throws {
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                print(try await client.call("compact", params: CompactMethod.Params(before: before).json))
            } else {
                print(ReadableText.compact(oldest: try await client.compact(before: before)))
            }
        }
    }
}
