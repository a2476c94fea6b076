/// One benchmark run.
public struct BenchConfiguration: Sendable {
    public var socketPath: String
    public var workload: BenchWorkload
    /// Connections, each with at most `pipeline` requests in flight.
    public var clients = 1
    public var pipeline = 1
    public var durationSeconds = 10.0
    public var warmupSeconds = 2.0
    /// Distinct keys in table `table`; all of them are written once during setup unless
    /// `preload` is false.
    public var keys = 1000
    public var preload = true
    /// Deps per `check` query or `stamp`.
    public var deps = 2
    /// Zipf exponent, or nil for uniform keys.
    public var zipfExponent: Double?
    /// Entries per `check-batch` request.
    public var batch = 100
    public var mix = WorkloadMix.standard
    /// Load-generator threads; connections are spread over them.
    public var threads = 1
    public var table = "bench"
    public var seed: UInt64 = 0x7469_6465

    public init(socketPath: String, workload: BenchWorkload) {
        self.socketPath = socketPath
        self.workload = workload
    }

    func validate() throws(BenchError) {
        guard clients >= 1 else { throw BenchError("--clients must be at least 1") }
        guard pipeline >= 1 else { throw BenchError("--pipeline must be at least 1") }
        guard durationSeconds > 0 else { throw BenchError("--duration must be positive") }
        guard warmupSeconds >= 0 else { throw BenchError("--warmup must not be negative") }
        guard keys >= 1 else { throw BenchError("--keys must be at least 1") }
        guard deps >= 1 else { throw BenchError("--deps must be at least 1") }
        guard batch >= 1 else { throw BenchError("--batch must be at least 1") }
        guard threads >= 1 else { throw BenchError("--threads must be at least 1") }
        if let zipfExponent, !(zipfExponent > 0) { throw BenchError("--zipf must be positive") }
    }

    var distribution: KeyDistribution {
        if let zipfExponent { return .zipf(count: keys, exponent: zipfExponent) }
        return .uniform(count: keys)
    }
}
