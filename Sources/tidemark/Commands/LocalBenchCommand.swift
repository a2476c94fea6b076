import ArgumentParser
import Dispatch
import Synchronization
import TidemarkClient
import TidemarkLocalReader
import TidemarkProtocol
import TidemarkStore

#if canImport(Glibc)
import Glibc
#endif

struct LocalBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-local",
        abstract: "Measure checks answered from the data file in place (a local reader), per thread.",
        discussion: """
            Setup writes --keys keys over the socket (unless --no-preload) and takes a local \
            stamp. Then each of --threads threads checks that stamp against --deps random keys \
            for --duration seconds after --warmup, in rounds of 1000 checks. Reports checks per \
            second (all threads) and the median nanoseconds per check over the rounds.

            Example:
              tidemark bench-local --local /var/lib/tidemark --deps 2 --threads 1 --json
            """)

    @OptionGroup var server: SocketOption

    @Option(name: .customLong("local"), help: ArgumentHelp("The server's data directory.", valueName: "dir"))
    var directory: String

    @Option(help: "Distinct keys.")
    var keys = 1000

    @Option(help: "Deps per check.")
    var deps = 2

    @Option(help: "Threads checking at once.")
    var threads = 1

    @Option(help: ArgumentHelp("Seconds measured.", valueName: "seconds"))
    var duration = 5.0

    @Option(help: ArgumentHelp("Seconds of checks before measuring.", valueName: "seconds"))
    var warmup = 1.0

    @Flag(name: .customLong("no-preload"), help: "Do not write the keys during setup (they exist already).")
    var noPreload = false

    @Option(help: "Seed of the key draws.")
    var seed: UInt64 = 0x7469_6465

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    static let table = "bench"
    static let round = 1000

    func run() async throws {
        if !noPreload { try await preload() }
        let reader: LocalReader
        let stamp: StampResult
        do {
            reader = try LocalReader(directory: directory)
            stamp = try reader.stamp([])
        } catch {
            Console.error("bench-local: \(error.message)")
            throw ExitCode(2)
        }
        var generator = SplitMix64(seed: seed)
        let queries: [CheckQuery] = (0..<4096).map { _ in
            .stamp(
                Stamp(epoch: stamp.epoch, lsn: stamp.lsn),
                deps: (0..<deps).map { _ in Dep(table: Self.table, key: "k\(generator.next() % UInt64(keys))") })
        }
        let rounds = Rounds(threads: threads)
        let (warmup, duration) = (self.warmup, self.duration)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            rounds.record(thread: thread, Self.checkRounds(reader, queries, offset: thread * 977, warmup: warmup, duration: duration))
        }
        let perCheck = rounds.all.sorted()
        let median = perCheck.isEmpty ? 0 : perCheck[perCheck.count / 2]
        let checks = rounds.all.count * Self.round
        let rate = Double(checks) / duration
        if json {
            print(#"{"threads":\#(threads),"deps":\#(deps),"checks":\#(checks),"checks_per_second":\#(Int(rate)),"median_ns_per_check":\#(Int(median)),"errors":\#(rounds.errors)}"#)
        } else {
            print("local check, \(deps) deps, \(threads) thread(s): \(Int(rate)) checks/s, median \(Int(median)) ns per check, \(rounds.errors) errors")
        }
        if rounds.errors > 0 { throw ExitCode(1) }
    }

    /// Nanoseconds per check of each measured round (-1 for a round with an error).
    private static func checkRounds(
        _ reader: LocalReader, _ queries: [CheckQuery], offset: Int, warmup: Double, duration: Double
    ) -> [Double] {
        var results: [Double] = []
        let start = now()
        let measureFrom = start + UInt64(warmup * 1e9)
        let end = measureFrom + UInt64(duration * 1e9)
        var index = offset
        while true {
            let roundStart = now()
            if roundStart >= end { return results }
            var failed = false
            for _ in 0..<round {
                index = (index + 1) & 4095
                do {
                    _ = try reader.check([queries[index]])
                } catch {
                    failed = true
                }
            }
            if roundStart >= measureFrom { results.append(failed ? -1 : Double(now() - roundStart) / Double(round)) }
        }
    }

    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private func preload() async throws {
        let keys = self.keys
        try await ClientOptions.withClient(socketPath: server.socketPath) { client throws(TidemarkClientError) in
            var start = 0
            while start < keys {
                let end = min(keys, start + 10_000)
                _ = try await client.write([Change(table: Self.table, keys: (start..<end).map { "k\($0)" })])
                start = end
            }
        }
    }
}

/// Each thread's round timings, gathered as the threads finish.
private final class Rounds: Sendable {
    private let perThread: Mutex<[[Double]]>

    init(threads: Int) {
        perThread = Mutex(Array(repeating: [], count: threads))
    }

    func record(thread: Int, _ rounds: [Double]) {
        perThread.withLock { $0[thread] = rounds }
    }

    var all: [Double] { perThread.withLock { $0.flatMap { $0.filter { $0 >= 0 } } } }
    var errors: Int { perThread.withLock { $0.reduce(0) { $0 + $1.filter { $0 < 0 }.count } } }
}
