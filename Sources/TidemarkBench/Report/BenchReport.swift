import Histogram
import TidemarkProtocol

/// The outcome of a run: throughput and latency percentiles of what was answered inside
/// the measurement window.
public struct BenchReport: Sendable {
    public var workload: BenchWorkload
    public var clients: Int
    public var pipeline: Int
    public var keys: Int
    public var deps: Int
    public var batch: Int
    public var zipfExponent: Double?
    public var seconds: Double
    /// Requests answered in the window.
    public var requests: Int
    /// Requests of each kind (`mixed` draws several).
    public var operations: [BenchOperation: Int]
    public var errors: Int
    /// Every answer of the run, warm-up and answers after the window included.
    public var answered: Int
    /// Latencies in microseconds.
    public var p50: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    init(configuration: BenchConfiguration, results: LoadResults, seconds: Double) {
        workload = configuration.workload
        clients = configuration.clients
        pipeline = configuration.pipeline
        keys = configuration.keys
        deps = configuration.deps
        batch = configuration.batch
        zipfExponent = configuration.zipfExponent
        self.seconds = seconds
        requests = results.operations.reduce(0, +)
        operations = Dictionary(
            uniqueKeysWithValues: BenchOperation.allCases.map { ($0, results.operations[$0.rawValue]) }.filter { $0.1 > 0 })
        errors = results.errors
        answered = results.answered
        let histogram = results.latency
        let microseconds = { (value: UInt64) in Double(value) / 1000 }
        p50 = histogram.totalCount > 0 ? microseconds(histogram.valueAtPercentile(50)) : 0
        p99 = histogram.totalCount > 0 ? microseconds(histogram.valueAtPercentile(99)) : 0
        p999 = histogram.totalCount > 0 ? microseconds(histogram.valueAtPercentile(99.9)) : 0
        max = histogram.totalCount > 0 ? microseconds(histogram.max) : 0
    }

    public var requestsPerSecond: Double { Double(requests) / seconds }

    /// Check entries validated per second: requests times `batch` for `check-batch`,
    /// one per check otherwise.
    public var entriesPerSecond: Double {
        let entries = (operations[.checkBatch] ?? 0) * batch + (operations[.check] ?? 0)
        return Double(entries) / seconds
    }

    /// The headline number: entries/s for `check-batch`, requests/s otherwise.
    public var rate: Double { workload == .checkBatch ? entriesPerSecond : requestsPerSecond }

    public var json: JSONValue {
        var object: JSONObject = [
            "workload": .string(workload.rawValue),
            "clients": JSONValue(clients),
            "pipeline": JSONValue(pipeline),
            "keys": JSONValue(keys),
            "deps": JSONValue(deps),
            "seconds": .double(seconds),
            "requests": JSONValue(requests),
            "requests_per_second": .double(requestsPerSecond.rounded()),
            "rate": .double(rate.rounded()),
            "errors": JSONValue(errors),
            "answered_total": JSONValue(answered),
            "latency_us": .object([
                "p50": .double(p50), "p99": .double(p99), "p99_9": .double(p999), "max": .double(max),
            ]),
        ]
        if workload == .checkBatch || workload == .mixed {
            object["entries_per_second"] = .double(entriesPerSecond.rounded())
        }
        if workload == .checkBatch { object["batch"] = JSONValue(batch) }
        if let zipfExponent { object["zipf"] = .double(zipfExponent) }
        if workload == .mixed {
            var counts: JSONObject = [:]
            for operation in BenchOperation.allCases {
                if let count = operations[operation] { counts[operation.name] = JSONValue(count) }
            }
            object["operations"] = .object(counts)
        }
        return .object(object)
    }

    public var text: String {
        var lines = [
            "workload \(workload.rawValue), \(clients) clients, pipeline \(pipeline), \(keys) keys"
                + (zipfExponent.map { " (zipf \($0))" } ?? " (uniform)") + ", \(seconds) s",
            "requests     \(requests) (\(Self.format(requestsPerSecond)) /s), errors \(errors)",
        ]
        if workload == .checkBatch || workload == .mixed {
            lines.append("entries/s    \(Self.format(entriesPerSecond))")
        }
        if workload == .mixed {
            let counts = BenchOperation.allCases.compactMap { operation in
                operations[operation].map { "\(operation.name) \($0)" }
            }
            lines.append("mix          " + counts.joined(separator: ", "))
        }
        lines.append(
            "latency (us) p50 \(Self.format(p50)), p99 \(Self.format(p99)), p99.9 \(Self.format(p999)), max \(Self.format(max))")
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        return String(Double(Int(value * 10)) / 10)
    }
}

extension BenchOperation {
    var name: String {
        switch self {
        case .check: "check"
        case .stamp: "stamp"
        case .write: "write"
        case .checkBatch: "check-batch"
        }
    }
}

extension BenchReport {
    /// The report as one line of compact JSON, for scripts.
    public var jsonLine: String { JSONWriter.string(json) }
}
