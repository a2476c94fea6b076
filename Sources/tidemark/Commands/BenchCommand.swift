import ArgumentParser
import TidemarkBench
import TidemarkClient

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load a running server and report throughput and latency percentiles.",
        discussion: """
            Opens --clients connections (one per client, driven from --threads event-loop \
            threads), each keeping --pipeline requests in flight. Setup writes every key \
            once (--keys, in writes of 10000 keys) and takes a stamp; `check` requests \
            validate --deps random keys against it. After --warmup seconds, answers are \
            counted for --duration seconds. Latency is from sending a request to reading \
            its answer; `check-batch` also reports check entries validated per second.

            Workloads: write, stamp, check, check-batch (--batch entries per request), \
            mixed (--mix, default check=90,stamp=5,write=5).

            Examples:
              tidemark bench --workload check --clients 50 --pipeline 16 --duration 10
              tidemark bench --workload mixed --keys 1000000 --zipf --zipf-exponent 1.1 --json
            """)

    @OptionGroup var server: SocketOption

    @Option(help: ArgumentHelp("write, stamp, check, check-batch or mixed.", valueName: "workload"))
    var workload: Workload

    @Option(help: "Connections.")
    var clients = 1

    @Option(help: "Requests in flight per connection.")
    var pipeline = 1

    @Option(help: ArgumentHelp("Seconds measured.", valueName: "seconds"))
    var duration = 10.0

    @Option(help: ArgumentHelp("Seconds of load before measuring.", valueName: "seconds"))
    var warmup = 2.0

    @Option(help: "Distinct keys.")
    var keys = 1000

    @Option(help: "Deps per check or stamp.")
    var deps = 2

    @Flag(help: "Draw keys Zipfian (key 0 the most frequent) instead of uniformly.")
    var zipf = false

    @Option(name: .customLong("zipf-exponent"), help: ArgumentHelp("The Zipf exponent (implies --zipf).", valueName: "s"))
    var zipfExponent: Double?

    @Option(help: "Entries per check-batch request.")
    var batch = 100

    @Option(help: ArgumentHelp("Weights of the mixed workload.", valueName: "check=90,stamp=5,write=5"))
    var mix: String?

    @Option(help: "Load-generator threads.")
    var threads = 1

    @Flag(name: .customLong("no-preload"), help: "Do not write the keys during setup (they exist already).")
    var noPreload = false

    @Option(help: "Seed of the key and mix draws.")
    var seed: UInt64 = 0x7469_6465

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case write, stamp, check
        case checkBatch = "check-batch"
        case mixed
    }

    func run() async throws {
        var configuration = BenchConfiguration(
            socketPath: server.socketPath, workload: BenchWorkload(rawValue: workload.rawValue)!)
        configuration.clients = clients
        configuration.pipeline = pipeline
        configuration.durationSeconds = duration
        configuration.warmupSeconds = warmup
        configuration.keys = keys
        configuration.deps = deps
        configuration.batch = batch
        configuration.threads = threads
        configuration.preload = !noPreload
        configuration.seed = seed
        if zipf || zipfExponent != nil { configuration.zipfExponent = zipfExponent ?? 0.99 }
        let quiet = json
        do {
            if let mix { configuration.mix = try WorkloadMix(parsing: mix) }
            let report = try await BenchRunner.run(configuration) { line in
                if !quiet { Console.note(line) }
            }
            print(json ? report.jsonLine : report.text)
            if report.errors > 0 { throw ExitCode(1) }
        } catch let error as BenchError {
            Console.error("bench: \(error)")
            throw ExitCode(2)
        }
    }
}
