import Metrics
import Synchronization
import TidemarkProtocol
import TidemarkStore

/// The server's metrics through swift-metrics; whoever runs the server chooses the
/// backend (the `tidemark` executable bootstraps Prometheus). Every metric object is made
/// once here, since making one per request would allocate on the hot path. Create it
/// after `MetricsSystem.bootstrap`.
public final class ServerMetrics: Sendable {
    private struct MethodMetrics: Sendable {
        let succeeded: Counter
        let failed: Counter
        let latency: Timer
    }

    private let methods: [RPCMethod: MethodMetrics]
    let commitBatchSize: Recorder
    let commitDuration: Timer
    private let connections = Gauge(label: "tidemark_connections")
    private let watchers = Gauge(label: "tidemark_watchers")
    private let openIntents = Gauge(label: "tidemark_open_intents")
    private let names = Gauge(label: "tidemark_names")
    private let logRecords = Gauge(label: "tidemark_log_records")
    private let usedBytes = Gauge(label: "tidemark_data_used_bytes")
    private let writerQueue = Gauge(label: "tidemark_writer_queue")
    /// Per-table counters grow by what the activity counters gained since the last scrape.
    private let tableWrites = Mutex<[String: (counter: Counter, reported: UInt64)]>([:])

    public init() {
        var methods: [RPCMethod: MethodMetrics] = [:]
        for method in RPCMethod.allCases {
            let name = method.rawValue
            methods[method] = MethodMetrics(
                succeeded: Counter(label: "tidemark_requests_total", dimensions: [("method", name), ("outcome", "ok")]),
                failed: Counter(label: "tidemark_requests_total", dimensions: [("method", name), ("outcome", "error")]),
                latency: Timer(label: "tidemark_request_duration_seconds", dimensions: [("method", name)]))
        }
        self.methods = methods
        commitBatchSize = Recorder(label: "tidemark_commit_batch_size", aggregate: true)
        commitDuration = Timer(label: "tidemark_commit_duration_seconds")
    }

    func requestFinished(_ method: RPCMethod, succeeded: Bool, nanoseconds: Int64) {
        guard let metrics = methods[method] else { return }
        (succeeded ? metrics.succeeded : metrics.failed).increment()
        metrics.latency.recordNanoseconds(nanoseconds)
    }

    func batchCommitted(size: Int, nanoseconds: Int64) {
        commitBatchSize.record(size)
        commitDuration.recordNanoseconds(nanoseconds)
    }

    /// Brings the gauges and per-table counters up to date just before a scrape.
    func refresh(store: StoreStatistics?, connections: Int, watchers: Int, writerQueue: Int, activity: ActivityCounters.State) {
        self.connections.record(connections)
        self.watchers.record(watchers)
        self.writerQueue.record(writerQueue)
        if let store {
            openIntents.record(store.openIntents)
            names.record(store.names)
            logRecords.record(store.records)
            usedBytes.record(store.usedBytes)
        }
        tableWrites.withLock { tables in
            for (table, counted) in activity.tables {
                let entry = tables[table] ?? (Counter(label: "tidemark_table_writes_total", dimensions: [("table", table)]), 0)
                if counted.writes > entry.reported { entry.counter.increment(by: Int64(counted.writes - entry.reported)) }
                tables[table] = (entry.counter, max(entry.reported, counted.writes))
            }
        }
    }
}
