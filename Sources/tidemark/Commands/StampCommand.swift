import ArgumentParser
import TidemarkClient
import TidemarkLocalReader
import TidemarkProtocol

struct StampCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stamp",
        abstract: "Show the stamp (epoch and LSN) and the version of each dependency.",
        discussion: """
            Take a stamp before reading the database, and store it with the cached entry. \
            `cacheable no` means an open intent covers a dependency: a COMMIT is in flight, \
            so what is read now must not be cached.

            DEP is `table` (the whole table) or `table:key`; `table:k1,k2` names one \
            dependency per key.

            Examples:
              tidemark stamp users:42 orders
              tidemark stamp --local /var/lib/tidemark users:42 orders
            """)

    @OptionGroup var options: ClientOptions

    @OptionGroup var local: LocalOption

    @Argument(help: ArgumentHelp("A dependency: `table` or `table:key`.", valueName: "dep"))
    var deps: [String] = []

    func run() async throws {
        let deps = try Arguments.deps(self.deps)
        if let directory = local.directory {
            let result = try local.withReader(directory) { reader throws(LocalReaderError) in try reader.stamp(deps) }
            print(options.json ? StampMethod.json(result).jsonString : ReadableText.stamp(result, deps: deps))
            return
        }
        try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                print(try await client.call("stamp", params: StampMethod.Params(deps: deps).json))
            } else {
                print(ReadableText.stamp(try await client.stamp(deps), deps: deps))
            }
        }
    }
}
