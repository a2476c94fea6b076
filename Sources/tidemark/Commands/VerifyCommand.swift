import ArgumentParser
import Logging
import TidemarkClient
import TidemarkEtcd
import TidemarkStore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a data directory (or, with --etcd, an etcd prefix): replay the retained log against the stored state.",
        discussion: """
            Opens the data directory read-only (no lock: it works with the server stopped \
            or beside a running one), replays the retained change log and recomputes every \
            version, intent, pending count and name index from it, and prints each \
            disagreement with the stored state, then a one-line summary.

            With --etcd, reads every key under --etcd-prefix at one revision instead (it \
            only reads, so servers may keep running) and checks it the same way: each key \
            is one Tidemark writes, each version key's revision is the LSN of the last \
            retained record that advances it, open intents match the log, and no record is \
            left below the oldest LSN.

            Exit status: 0 when clean, 1 when any discrepancy was found, 2 when the \
            directory (or etcd) cannot be opened or read.

            Examples:
              tidemark verify --data /var/lib/tidemark --json
              tidemark verify --etcd http://10.0.0.1:2379,http://10.0.0.2:2379
            """)

    @Option(
        help: ArgumentHelp(
            "The data directory to check; nothing in it is changed.",
            discussion: "Default: $TIDEMARK_DATA, else $XDG_STATE_HOME/tidemark, else $HOME/.local/state/tidemark.",
            valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("Check the state an etcd-backed fleet keeps on these members instead.", valueName: "urls"))
    var etcd: String?

    @Option(name: .customLong("etcd-prefix"), help: ArgumentHelp("With --etcd: the prefix (default /tidemark/).", valueName: "prefix"))
    var etcdPrefix = "/tidemark/"

    @Flag(name: .long, help: "Print the report as one JSON object instead of text for people.")
    var json = false

    func validate() throws {
        if etcd != nil, data != nil { throw ValidationError("--data and --etcd check different things: give one") }
    }

    func run() async throws {
        let report: VerificationReport
        if let etcd {
            report = try await verifyEtcd(etcd)
        } else {
            let path = data ?? DefaultPaths.dataPath()
            do throws(StoreError) {
                var options = LMDBStore.Options()
                options.readOnly = true
                report = try LMDBStore(path: path, options: options).verify()
            } catch {
                Console.error(error.cause.map { "\(error.message) (\($0))" } ?? error.message)
                throw ExitCode(2)
            }
        }
        if json {
            Console.output([report.jsonText])
        } else {
            Console.output(report.discrepancies.map(\.description) + [report.summary])
        }
        if !report.isClean { throw ExitCode(1) }
    }

    private func verifyEtcd(_ urls: String) async throws -> VerificationReport {
        let client: EtcdClient
        do {
            client = EtcdClient(endpoints: try EtcdEndpoints(urls), logger: Logger(label: "tidemark-verify"))
        } catch {
            Console.error("--etcd: \(error.message)")
            throw ExitCode(2)
        }
        do {
            let report = try await EtcdVerifier(client: client, prefix: etcdPrefix).verify()
            await client.shutdown()
            return report
        } catch {
            await client.shutdown()
            Console.error(error.message)
            throw ExitCode(2)
        }
    }
}
