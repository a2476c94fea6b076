import TidemarkProtocol

/// What every connection of a run shares: immutable, so it crosses threads freely.
struct LoadPlan: Sendable {
    var workload: BenchWorkload
    var mix: WorkloadMix
    var pipeline: Int
    var keys: KeyDistribution
    var encoder: RequestEncoder

    func operation(using random: inout SplitMix64) -> BenchOperation {
        switch workload {
        case .write: .write
        case .stamp: .stamp
        case .check: .check
        case .checkBatch: .checkBatch
        case .mixed: mix.draw(using: &random)
        }
    }
}

/// The measurement window, in monotonic nanoseconds (`NIODeadline.uptimeNanoseconds`).
struct LoadWindow: Sendable {
    /// Answers before this are warm-up and not counted.
    var start: UInt64
    /// No request is sent after this, and answers after it are not counted.
    var end: UInt64
}
