import Testing
import TidemarkTestSupport

@testable import TidemarkBench

/// Short real runs against an in-process server: they assert what was counted, never
/// how fast it was.
@Suite struct BenchRunnerTests {
    @Test(arguments: BenchWorkload.allCases)
    func shortRunCountsAnswersWithoutErrors(workload: BenchWorkload) async throws {
        try await TestServer.withServer { server in
            var configuration = BenchConfiguration(socketPath: server.socketPath, workload: workload)
            configuration.clients = 3
            configuration.pipeline = 2
            configuration.durationSeconds = 0.5
            configuration.warmupSeconds = 0.1
            configuration.keys = 50
            configuration.batch = 5
            configuration.threads = 2
            let report = try await BenchRunner.run(configuration)
            #expect(report.errors == 0)
            // On a loaded machine the window may see few answers; the run as a whole
            // always has some, and the window never counts more than the run.
            #expect(report.answered > 0)
            #expect(report.requests <= report.answered)
            if report.requests > 0 {
                #expect(report.p50 > 0 && report.p50 <= report.p99 && report.p99 <= report.max)
            }
            switch workload {
            case .checkBatch:
                #expect(report.operations[.checkBatch, default: 0] == report.requests)
                #expect(report.entriesPerSecond == report.requestsPerSecond * 5)
            case .mixed:
                #expect(report.operations.keys.allSatisfy { [.check, .stamp, .write].contains($0) })
            case .write, .stamp, .check:
                let operation: BenchOperation = workload == .write ? .write : workload == .stamp ? .stamp : .check
                #expect(report.operations.keys.allSatisfy { $0 == operation })
                #expect(report.operations[operation, default: 0] == report.requests)
            }
        }
    }

    @Test func preloadWritesEveryKeyInChunks() async throws {
        try await TestServer.withServer { server in
            var configuration = BenchConfiguration(socketPath: server.socketPath, workload: .stamp)
            configuration.keys = 25_001
            configuration.durationSeconds = 0.1
            configuration.warmupSeconds = 0
            let report = try await BenchRunner.run(configuration)
            #expect(report.errors == 0)
            let statistics = try server.application.store.statistics()
            #expect(statistics.keys == 25_001)
            // Three preload writes (10,000 + 10,000 + 5,001 keys), then only reads.
            #expect(statistics.lsn == 3)
        }
    }

    @Test func refusesAServerThatIsNotThere() async throws {
        let directory = try TemporaryDirectory()
        let configuration = BenchConfiguration(socketPath: directory.socketPath, workload: .check)
        await #expect(throws: BenchError.self) { try await BenchRunner.run(configuration) }
    }
}
