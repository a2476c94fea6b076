import Foundation

/// How benchmark keys are drawn from `0..<count`: uniformly, or Zipfian with exponent `s`
/// (key 0 the most frequent), as cache traffic usually is.
public struct KeyDistribution: Sendable {
    public let count: Int
    /// The cumulative probability of each key, for Zipf; nil for uniform.
    private let cumulative: [Double]?

    public static func uniform(count: Int) -> KeyDistribution {
        KeyDistribution(count: count, cumulative: nil)
    }

    /// Precomputes the distribution once (O(count)), so each draw is a binary search.
    public static func zipf(count: Int, exponent: Double) -> KeyDistribution {
        var cumulative = [Double](repeating: 0, count: count)
        var sum = 0.0
        for rank in 0..<count {
            sum += 1 / pow(Double(rank + 1), exponent)
            cumulative[rank] = sum
        }
        for rank in 0..<count { cumulative[rank] /= sum }
        cumulative[count - 1] = 1
        return KeyDistribution(count: count, cumulative: cumulative)
    }

    private init(count: Int, cumulative: [Double]?) {
        precondition(count > 0, "a key distribution needs at least one key")
        self.count = count
        self.cumulative = cumulative
    }

    public var isZipfian: Bool { cumulative != nil }

    public func draw(using generator: inout some RandomNumberGenerator) -> Int {
        guard let cumulative else { return Int(generator.next(upperBound: UInt64(count))) }
        let target = Double(generator.next() >> 11) * 0x1p-53
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
