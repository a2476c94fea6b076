import ArgumentParser
import TidemarkClient
import TidemarkLocalReader
import TidemarkProtocol
import TidemarkStore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Ask whether a cached entry is still valid.",
        discussion: """
            Give the entry's stamp and dependencies, or the name it was registered under. \
            Prints `valid`, or the reason it is not with the dependencies that changed \
            and those an open intent covers.

            Exit status: 0 when valid, 1 when not valid, 2 or more for errors.

            DEP is `table` (the whole table) or `table:key`; `table:k1,k2` names one \
            dependency per key.

            Examples:
              tidemark check --epoch 5f0c…e1 --lsn 41 users:42 orders
              tidemark check --name user-page-42
              tidemark check --local /var/lib/tidemark --epoch 5f0c…e1 --lsn 41 users:42
            """)

    @OptionGroup var options: ClientOptions

    @OptionGroup var local: LocalOption

    @Option(help: ArgumentHelp("The stamp's epoch (32 hex digits).", valueName: "epoch"), transform: Arguments.epoch)
    var epoch: Epoch?

    @Option(help: ArgumentHelp("The stamp's LSN.", valueName: "lsn"))
    var lsn: UInt64?

    @Option(help: ArgumentHelp("A name given to `register`, instead of a stamp.", valueName: "name"))
    var name: String?

    @Argument(help: ArgumentHelp("A dependency of the entry: `table` or `table:key`.", valueName: "dep"))
    var deps: [String] = []

    func validate() throws {
        if name != nil {
            guard epoch == nil, lsn == nil, deps.isEmpty else {
                throw ValidationError("give either --name or --epoch, --lsn and DEPs, not both")
            }
        } else {
            guard epoch != nil, lsn != nil else { throw ValidationError("give --epoch and --lsn, or --name") }
        }
    }

    func run() async throws {
        let query: CheckQuery
        if let name {
            query = .name(name)
        } else {
            query = .stamp(Stamp(epoch: epoch!, lsn: lsn!), deps: try Arguments.deps(deps))
        }
        if let directory = local.directory {
            let validity = try local.withReader(directory) { reader throws(LocalReaderError) in try reader.check([query])[0] }
            print(options.json ? validity.json.jsonString : ReadableText.validity(validity))
            if !validity.isValid { throw ExitCode(1) }
            return
        }
        let valid = try await options.withClient { client throws(TidemarkClientError) in
            if options.json {
                let result = try await client.call("check", params: CheckMethod.Params.single(query).json)
                print(result)
                return result["valid"]?.boolValue == true
            }
            let validity = try await client.check(entries: [query])[0]
            print(ReadableText.validity(validity))
            return validity.isValid
        }
        if !valid { throw ExitCode(1) }
    }
}
