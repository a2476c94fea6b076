import Foundation
import Synchronization
import Testing
import TidemarkConformance
import TidemarkProtocol
import TidemarkTestSupport

/// The data files of this package, found from this source file.
private let casesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("protocol/conformance").path

private final class Lines: Sendable {
    let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite(.serialized)
struct ConformanceSuiteTests {
    @Test func theWholeSuitePassesAgainstTheRealServer() async throws {
        // A small watch backlog, so the slow-watcher scenario is exercised, not skipped.
        try await TestServer.withServer(configure: { $0.server.watchBacklog = 256 }) { server in
            let output = Lines()
            let summary = try await ConformanceRunner.run(ConformanceOptions(
                socketPath: server.socketPath, casesDirectory: casesDirectory, output: output.append))
            #expect(summary.failed == 0, "\(output.all.joined(separator: "\n"))")
            #expect(summary.passed > 150)
            #expect(output.all.last == "\(summary.passed) passed, 0 failed")
            #expect(summary.notes.isEmpty, "\(summary.notes)")
        }
    }

    @Test func aServerThatCallsEverythingValidIsCaught() async throws {
        try await TestServer.withServer { server in
            let proxyPath = server.directory.path + "/proxy.sock"
            let output = Lines()
            let summary = try await RewritingProxy.with(upstream: server.socketPath, listen: proxyPath, rewrite: alwaysValid) {
                try await ConformanceRunner.run(ConformanceOptions(
                    socketPath: proxyPath, casesDirectory: casesDirectory, only: "check", output: output.append))
            }
            let failedNames = Set(summary.failures.map(\.name))
            #expect(failedNames.contains("changed lists the deps written after the stamp"))
            #expect(failedNames.contains("another epoch gives reason epoch"))
            #expect(failedNames.contains("a stamp from the future gives reason future"))
            #expect(failedNames.contains("an open intent gives reason pending"))
            #expect(!failedNames.contains("valid when nothing changed"))
            #expect(summary.failed >= 6)
            #expect(summary.passed > 0)
            #expect(output.all.last == "\(summary.passed) passed, \(summary.failed) failed")
            let failure = try #require(output.all.first { $0.contains("changed lists the deps") })
            #expect(failure.contains("\"reason\":\"changed\"") && failure.contains("\"valid\":true"))
        }
    }

    /// A backend that refuses `register` as not offered (-32601 naming itself): the names
    /// cases it stops are set apart, not passed and not failed. The same refusals from a
    /// server that says it is on LMDB are failures.
    @Test(arguments: ["other", "lmdb"])
    func casesStoppedByAMethodTheBackendDoesNotOfferAreCountedApart(backend: String) async throws {
        try await TestServer.withServer { server in
            let proxyPath = server.directory.path + "/proxy.sock"
            let output = Lines()
            let summary = try await RewritingProxy.with(
                upstream: server.socketPath, listen: proxyPath, rewrite: { refusingRegister($0, backend: backend) }
            ) {
                try await ConformanceRunner.run(ConformanceOptions(
                    socketPath: proxyPath, casesDirectory: casesDirectory, only: "names", output: output.append))
            }
            if backend == "lmdb" {
                #expect(summary.notOffered.isEmpty && summary.failed > 0)
            } else {
                #expect(summary.failed == 0, "\(output.all.joined(separator: "\n"))")
                #expect(summary.notOffered.count > 3 && summary.passed > 0)
                #expect(output.all.last == "\(summary.passed) passed, 0 failed, \(summary.notOffered.count) not offered by the other backend")
                #expect(output.all.contains { $0.hasPrefix("NOT OFFERED names/") })
            }
        }
    }

    @Test func anUnreachableServerFailsEveryCase() async throws {
        let summary = try await ConformanceRunner.run(ConformanceOptions(
            socketPath: "/tmp/no-such-dir-\(UUID().uuidString.prefix(6))/s.sock", casesDirectory: casesDirectory,
            only: "hello", output: { _ in }))
        #expect(summary.passed == 0 && summary.failed > 0)
    }
}

/// Says `hello` comes from `backend`, and turns every successful `register` into the
/// refusal of a backend that does not offer it.
@Sendable private func refusingRegister(_ line: JSONValue, backend: String) -> JSONValue {
    guard case .object(var response) = line, case .object(var result)? = response["result"] else { return line }
    if result["server"] != nil {
        result["backend"] = .string(backend)
        response["result"] = .object(result)
    } else if result["registered"] != nil {
        response["result"] = nil
        response["error"] = [
            "code": -32601, "message": .string("method not found: register is not supported by the \(backend) backend yet"),
        ]
    }
    return .object(response)
}

/// Answers every `check` with `{valid: true}`.
@Sendable private func alwaysValid(_ line: JSONValue) -> JSONValue {
    guard case .object(var response) = line, case .object(let result)? = response["result"] else { return line }
    if result["valid"] != nil {
        response["result"] = ["valid": true]
    } else if let results = result["results"]?.arrayValue {
        response["result"] = ["results": .array(results.map { _ in ["valid": true] })]
    }
    return .object(response)
}
