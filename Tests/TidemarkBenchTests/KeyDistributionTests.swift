import Testing
import TidemarkTestSupport

@testable import TidemarkBench
import TidemarkProtocol

@Suite struct KeyDistributionTests {
    @Test func uniformDrawsStayInRangeAndSpreadEvenly() {
        let distribution = KeyDistribution.uniform(count: 10)
        var generator = SplitMix64(seed: 1)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { counts[distribution.draw(using: &generator)] += 1 }
        for count in counts { #expect(abs(count - 10_000) < 600) }
    }

    @Test func zipfFrequenciesFollowThePowerLaw() {
        let distribution = KeyDistribution.zipf(count: 1000, exponent: 1.0)
        var generator = SplitMix64(seed: 2)
        var counts = [Int](repeating: 0, count: 1000)
        let draws = 200_000
        for _ in 0..<draws { counts[distribution.draw(using: &generator)] += 1 }
        // With s = 1, key k (0-based) has probability 1 / ((k + 1) * H(1000)), H(1000) ≈ 7.485.
        let harmonic = (1...1000).reduce(0.0) { $0 + 1 / Double($1) }
        for rank in [0, 1, 3, 9] {
            let expected = Double(draws) / (Double(rank + 1) * harmonic)
            #expect(abs(Double(counts[rank]) - expected) < expected * 0.05, "key \(rank): \(counts[rank]) vs \(expected)")
        }
        // Key 0 is about twice as frequent as key 1, and the tail is still drawn.
        #expect(counts[0] > counts[1] * 18 / 10)
        #expect(counts[500...].reduce(0, +) > 0)
        #expect(counts.allSatisfy { $0 >= 0 })
    }

    @Test func zipfDrawsStayInRange() {
        let distribution = KeyDistribution.zipf(count: 7, exponent: 1.5)
        var generator = SplitMix64(seed: 3)
        for _ in 0..<10_000 { #expect((0..<7).contains(distribution.draw(using: &generator))) }
    }
}
