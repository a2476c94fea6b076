import Testing

@testable import TidemarkServer

@Suite struct DistinctCounterTests {
    @Test(arguments: [1, 10, 100, 1_000, 10_000, 200_000])
    func estimatesWithinThreeStandardErrors(_ count: Int) {
        var counter = DistinctCounter()
        for index in 0..<count {
            counter.insert("key-\(index)")
            counter.insert("key-\(index)")  // repeats do not count
        }
        let error = abs(Double(counter.estimate) - Double(count)) / Double(count)
        #expect(error <= 0.07, "estimate \(counter.estimate) for \(count)")
    }

    @Test func mergingEqualsCountingTogether() {
        var left = DistinctCounter()
        var right = DistinctCounter()
        var both = DistinctCounter()
        for index in 0..<5_000 {
            left.insert("a\(index)")
            both.insert("a\(index)")
        }
        for index in 2_500..<7_500 {
            right.insert("a\(index)")
            both.insert("a\(index)")
        }
        left.merge(right)
        #expect(left == both)
    }
}
