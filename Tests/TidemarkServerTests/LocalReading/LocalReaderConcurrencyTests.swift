import Foundation
import Synchronization
import Testing
import TidemarkClient
import TidemarkLocalReader
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

/// Readers in this process check without pause while the server (another process) writes,
/// is killed with kill -9, restarts and compacts. Every write acknowledged before a read
/// began must show in it, LSNs never go back, and reading never fails: the data file
/// outlives the server.
@Suite("Local readers under writes, kill -9, restarts and compaction", .serialized, .timeLimit(.minutes(2)))
struct LocalReaderConcurrencyTests {
    static let dep = Dep(table: "hot", key: "k")

    /// What reader threads share with the writer.
    final class Shared: Sendable {
        /// The LSN of the last acknowledged write of `dep`.
        let acknowledged = Atomic<UInt64>(0)
        let stop = Atomic<Bool>(false)
        let finished = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let problems = Mutex<[String]>([])

        func report(_ problem: String) {
            problems.withLock { if $0.count < 20 { $0.append(problem) } }
        }
    }

    @Test func readersSeeEveryAcknowledgedWriteThroughCrashesAndCompaction() async throws {
        let directory = try TemporaryDirectory()
        let arguments = ["--local-readers", "\(getgid())"]
        var server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: arguments)
        let reader = try LocalReader(directory: directory.dataPath)
        let epoch = try reader.epoch
        let shared = Shared()
        let threads = 2
        for _ in 0..<threads {
            Thread.detachNewThread { Self.readLoop(reader, epoch: epoch, shared) }
        }
        var client = try await TidemarkClient.connect(socketPath: directory.socketPath)
        for round in 0..<4 {
            for _ in 0..<150 {
                let written = try await client.write([Change(table: Self.dep.table, keys: [Self.dep.key!])])
                shared.acknowledged.store(written.lsn, ordering: .releasing)
            }
            _ = try await client.compact(before: shared.acknowledged.load(ordering: .acquiring) - 50)
            await client.close()
            if round % 2 == 0 {
                await server.kill()
            } else {
                #expect(await server.terminate() == 0)
            }
            server = try await ServerProcess.start(
                socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: arguments)
            client = try await TidemarkClient.connect(socketPath: directory.socketPath)
        }
        shared.stop.store(true, ordering: .releasing)
        let deadline = ContinuousClock.now + .seconds(10)
        while shared.finished.load(ordering: .acquiring) < threads, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(shared.finished.load(ordering: .acquiring) == threads)
        #expect(shared.problems.withLock { $0 } == [])
        #expect(shared.reads.load(ordering: .relaxed) > 1000, "the readers kept reading")
        #expect(try await client.stamp().epoch == epoch, "kill -9 and restarts keep the epoch")
        await client.close()
        #expect(await server.terminate() == 0)
    }

    private static func readLoop(_ reader: LocalReader, epoch: Epoch, _ shared: Shared) {
        defer { shared.finished.add(1, ordering: .releasing) }
        var lastLSN: UInt64 = 0
        while !shared.stop.load(ordering: .acquiring) {
            let acknowledged = shared.acknowledged.load(ordering: .acquiring)
            do {
                let stamp = try reader.stamp([dep])
                if stamp.lsn < lastLSN { shared.report("the LSN went back from \(lastLSN) to \(stamp.lsn)") }
                if stamp.versions[0] < acknowledged {
                    shared.report("version \(stamp.versions[0]) after the write at \(acknowledged) was acknowledged")
                }
                if acknowledged > 0 {
                    let older = try reader.check([.stamp(Stamp(epoch: epoch, lsn: acknowledged - 1), deps: [dep])])[0]
                    if older.isValid { shared.report("a stamp older than an acknowledged write read as valid") }
                }
                lastLSN = stamp.lsn
                shared.reads.add(1, ordering: .relaxed)
            } catch {
                shared.report("\(error)")
            }
        }
    }
}
