/// Percentages of check, stamp and write requests in the `mixed` workload.
public struct WorkloadMix: Sendable, Hashable {
    public var check: Int
    public var stamp: Int
    public var write: Int

    public static let standard = WorkloadMix(check: 90, stamp: 5, write: 5)

    public init(check: Int, stamp: Int, write: Int) {
        self.check = check
        self.stamp = stamp
        self.write = write
    }

    /// Parses `check=90,stamp=5,write=5` (weights; they need not add up to 100).
    public init(parsing text: String) throws(BenchError) {
        var mix = WorkloadMix(check: 0, stamp: 0, write: 0)
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let weight = Int(pair[1]), weight >= 0 else {
                throw BenchError("invalid mix part `\(part)`: expected NAME=WEIGHT")
            }
            switch pair[0] {
            case "check": mix.check = weight
            case "stamp": mix.stamp = weight
            case "write": mix.write = weight
            default: throw BenchError("unknown operation `\(pair[0])` in the mix (check, stamp, write)")
            }
        }
        guard mix.total > 0 else { throw BenchError("the mix has no weight") }
        self = mix
    }

    var total: Int { check + stamp + write }

    /// The operation for a uniform draw `roll` in `0..<total`.
    public func operation(forRoll roll: Int) -> BenchOperation {
        if roll < check { return .check }
        if roll < check + stamp { return .stamp }
        return .write
    }

    /// Draws an operation in these proportions.
    public func draw(using generator: inout some RandomNumberGenerator) -> BenchOperation {
        operation(forRoll: Int(generator.next(upperBound: UInt64(total))))
    }
}
