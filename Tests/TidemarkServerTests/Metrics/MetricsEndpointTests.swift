import Foundation
import Testing
import TidemarkProtocol
import TidemarkTestSupport

/// `serve --metrics-listen` against the real binary: the endpoint is scraped over HTTP
/// and every line parsed as Prometheus text exposition.
@Suite struct MetricsEndpointTests {
    @Test func scrapeReflectsTheRequestsMade() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: ["--metrics-listen", "0"])
        let port = try #require(await Self.metricsPort(of: server))
        try await LineClient.with(directory.socketPath) { client in
            for key in 0..<3 { _ = try await client.result("write", ["changes": [["table": "orders", "keys": .array([.string("\(key)")])]]]) }
            _ = try await client.result("stamp", ["deps": [["table": "orders"]]])
            _ = try await client.request("commit", ["intent": "none"])
        }
        let (status, body) = try HTTPGet.fetch(port: port, path: "/metrics")
        #expect(status == 200)
        let samples = try PrometheusText.parse(body)
        #expect(samples[#"tidemark_requests_total{method="write",outcome="ok"}"#] == 3)
        #expect(samples[#"tidemark_requests_total{method="stamp",outcome="ok"}"#] == 1)
        #expect(samples[#"tidemark_requests_total{method="commit",outcome="error"}"#] == 1)
        #expect(samples[#"tidemark_request_duration_seconds_count{method="write"}"#] == 3)
        #expect(samples[#"tidemark_table_writes_total{table="orders"}"#] == 3)
        #expect((samples["tidemark_commit_batch_size_count"] ?? 0) >= 1)
        #expect((samples["tidemark_commit_duration_seconds_count"] ?? 0) >= 1)
        #expect(samples["tidemark_log_records"] == 3)
        #expect(samples["tidemark_connections"] == 0)
        #expect(samples["tidemark_open_intents"] == 0)
        let (missing, _) = try HTTPGet.fetch(port: port, path: "/other")
        #expect(missing == 404)
        #expect(await server.terminate() == 0)
    }

    @Test func metricsAreOffByDefault() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(socketPath: directory.socketPath, dataPath: directory.dataPath)
        #expect(Self.port(in: server.outputText) == nil)
        #expect(await server.terminate() == 0)
    }

    /// The endpoint starts beside the socket listener, so its log line may come later.
    static func metricsPort(of server: ServerProcess) async throws -> Int? {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let port = port(in: server.outputText) { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// The port from the "serving metrics" log line (`--metrics-listen 0` picks one).
    static func port(in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("serving metrics") }),
            let range = line.range(of: "address=127.0.0.1:")
        else { return nil }
        return Int(line[range.upperBound...].prefix(while: \.isNumber))
    }
}


