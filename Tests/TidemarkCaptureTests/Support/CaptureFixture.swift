import Foundation
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

/// A private PostgreSQL, a real `tidemark serve` and a real `tidemark capture postgres`
/// between them, each a separate process that a test may kill.
final class CaptureFixture {
    let postgres: PostgresServer
    let directory: TemporaryDirectory
    private(set) var server: ChildProcess?
    private(set) var capture: ChildProcess?
    let captureArguments: [String]

    private init(postgres: PostgresServer, captureArguments: [String]) throws {
        self.postgres = postgres
        directory = try TemporaryDirectory()
        self.captureArguments = captureArguments
    }

    /// A fixture with its PostgreSQL started (Tidemark and the capture are started by the test).
    static func make(walLevel: String = "logical", captureArguments: [String] = []) async throws -> CaptureFixture {
        try CaptureFixture(postgres: try await PostgresServer.start(walLevel: walLevel), captureArguments: captureArguments)
    }

    /// On a data directory, or with `etcd` (client URLs) on the etcd backend.
    func startServer(etcd: String? = nil) async throws {
        let storage = etcd.map { ["--backend", "etcd", "--etcd", $0] } ?? ["--data", directory.dataPath]
        let server = try ChildProcess(
            executable: ChildProcess.tidemarkBinary, arguments: ["serve", "--socket", directory.socketPath] + storage)
        guard await server.waitForOutput("listening") else { throw FixtureError("tidemark serve did not start:\n\(server.outputText)") }
        self.server = server
    }

    /// Starts the capture and waits until it streams.
    func startCapture(_ extra: [String] = []) async throws {
        let capture = try launchCapture(extra)
        guard await capture.waitForOutput("streaming") else { throw FixtureError("the capture did not stream:\n\(capture.outputText)") }
        self.capture = capture
    }

    func launchCapture(_ extra: [String] = [], dsn: String? = nil) throws -> ChildProcess {
        try ChildProcess(
            executable: ChildProcess.tidemarkBinary,
            arguments: ["capture", "postgres", "--socket", directory.socketPath, "--dsn", dsn ?? postgres.dsn] + captureArguments + extra)
    }

    func killCapture() async {
        await capture?.kill()
        capture = nil
    }

    func killServer() async {
        await server?.kill()
        server = nil
    }

    func withClient<Result>(_ body: (TidemarkClient) async throws -> Result) async throws -> Result {
        let client = try await TidemarkClient.connect(socketPath: directory.socketPath)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// Every record in the log.
    func records() async throws -> [Record] {
        try await withClient { client in
            var all: [Record] = []
            try await client.readLog(limit: .max) { all += $0 }
            return all
        }
    }

    /// Polls until `condition` holds on the log, or fails after `seconds`.
    @discardableResult
    func waitForRecords(
        seconds: Double = 60, _ what: String, until condition: ([Record]) -> Bool
    ) async throws -> [Record] {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var last: [Record] = []
        while ContinuousClock.now < deadline {
            if let records = try? await records() {
                last = records
                if condition(records) { return records }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("timed out waiting for \(what); the log has \(last.count) records (the last: \(last.suffix(5).map(\.summary))); capture said:\n\(capture?.outputText ?? "-")")
    }

    /// Waits until the log holds `count` records.
    @discardableResult
    func waitForRecordCount(_ count: Int, seconds: Double = 60) async throws -> [Record] {
        try await waitForRecords(seconds: seconds, "\(count) records") { $0.count >= count }
    }

    /// Waits until the log's records hold `count` transactions.
    @discardableResult
    func waitForTransactions(_ count: Int, seconds: Double = 60) async throws -> [Record] {
        try await waitForRecords(seconds: seconds, "\(count) transactions") { $0.transactionCount >= count }
    }
}

extension [Record] {
    /// The PostgreSQL transactions the records stand for: a record of several says how
    /// many in its meta.
    var transactionCount: Int {
        reduce(0) { $0 + ($1.metaObject?["transactions"]?.uint64Value.map { Int($0) } ?? 1) }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Record {
    /// The record's meta as JSON.
    var metaObject: JSONObject? {
        guard let meta, case .object(let object)? = try? JSONParser.parse(meta) else { return nil }
        return object
    }

    /// The changes as `table:k1,k2` / `table(*)`, for readable expectations.
    var summary: String {
        changes.map { change in
            change.keys.map { "\(change.table):" + $0.joined(separator: ",") } ?? "\(change.table)(*)"
        }.joined(separator: " ")
    }
}
