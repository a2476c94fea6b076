import Testing

@testable import TidemarkBench
import TidemarkProtocol

@Suite struct WorkloadMixTests {
    @Test func standardMixDrawsNinetyFiveFive() {
        var generator = SplitMix64(seed: 7)
        var counts: [BenchOperation: Int] = [:]
        let draws = 100_000
        for _ in 0..<draws { counts[WorkloadMix.standard.draw(using: &generator), default: 0] += 1 }
        #expect(abs(Double(counts[.check, default: 0]) / Double(draws) - 0.90) < 0.005)
        #expect(abs(Double(counts[.stamp, default: 0]) / Double(draws) - 0.05) < 0.005)
        #expect(abs(Double(counts[.write, default: 0]) / Double(draws) - 0.05) < 0.005)
        #expect(counts[.checkBatch] == nil)
    }

    @Test func rollsMapToOperationsByWeight() {
        let mix = WorkloadMix(check: 2, stamp: 1, write: 1)
        #expect((0..<4).map(mix.operation(forRoll:)) == [.check, .check, .stamp, .write])
    }

    @Test func parsesWeightsAndRejectsNonsense() throws {
        #expect(try WorkloadMix(parsing: "check=80,write=20") == WorkloadMix(check: 80, stamp: 0, write: 20))
        #expect(throws: BenchError.self) { try WorkloadMix(parsing: "check=0") }
        #expect(throws: BenchError.self) { try WorkloadMix(parsing: "read=5") }
        #expect(throws: BenchError.self) { try WorkloadMix(parsing: "check=-1,write=2") }
        #expect(throws: BenchError.self) { try WorkloadMix(parsing: "check") }
    }
}
