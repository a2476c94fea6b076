import Foundation
import TidemarkProtocol

/// What to run and where.
public struct ConformanceOptions: Sendable {
    public var socketPath: String
    /// The data files' directory; nil looks for `protocol/conformance`.
    public var casesDirectory: String?
    /// Only this group (a data file's name without `.ndjson`, or `scenarios`).
    public var only: String?
    /// Run only the checks that harm the server (group `disposable`), against a server
    /// started for them with `ConformanceRunner.disposableServerFlags`.
    public var disposable: Bool
    /// Receives each output line (failures, skip notes, the summary).
    public var output: @Sendable (String) -> Void

    public init(
        socketPath: String, casesDirectory: String? = nil, only: String? = nil, disposable: Bool = false,
        output: @escaping @Sendable (String) -> Void = { print($0) }
    ) {
        self.socketPath = socketPath
        self.casesDirectory = casesDirectory
        self.only = only
        self.disposable = disposable
        self.output = output
    }
}

/// One failed case.
public struct ConformanceFailure: Sendable, CustomStringConvertible {
    public var group: String
    public var name: String
    public var request: String
    public var expected: String
    public var actual: String

    public var description: String {
        "FAIL \(group)/\(name): request \(request) expected \(expected) actual \(actual)"
    }
}

public struct ConformanceSummary: Sendable {
    public var passed = 0
    public var failed = 0
    public var failures: [ConformanceFailure] = []
    public var notes: [String] = []
    /// The server's backend, from `hello`.
    public var backend = "lmdb"
    /// Cases that failed only because the backend refused a method it does not offer yet
    /// (-32601 naming the backend, PROTOCOL.md §16.3): neither passed nor failed.
    public var notOffered: [String] = []
    public var summaryLine: String {
        "\(passed) passed, \(failed) failed"
            + (notOffered.isEmpty ? "" : ", \(notOffered.count) not offered by the \(backend) backend")
    }
}

/// Runs the conformance suite against a server on a Unix socket. It writes only to
/// tables (and names) under `conformance.<random>.`, and never compacts anything away.
public enum ConformanceRunner {
    public static let scenarioGroup = "scenarios"
    public static let disposableGroup = "disposable"
    /// How the server for `--disposable` must be started (plus a `--readers` list that
    /// does not include the runner's user): small enough to fill, quick to overload.
    public static let disposableServerFlags = "--map-size 2MiB --max-queued-writes 4 --readers uid:<another user>"

    public static func run(_ options: ConformanceOptions) async throws -> ConformanceSummary {
        let directory = try CaseLoader.locate(options.casesDirectory)
        let cases = options.disposable ? [] : try CaseLoader.load(directory: directory, only: options.only)
        if let only = options.only, only != scenarioGroup, cases.isEmpty {
            throw ConformanceError.cases("no group \(only) in \(directory.path) (nor is it `\(scenarioGroup)`)")
        }
        let runID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let prefix = "conformance.\(runID)."
        var summary = ConformanceSummary()
        let offer = await BackendOffer.learn(socketPath: options.socketPath)
        summary.backend = offer.backend
        var number = 0
        func record(_ failure: ConformanceFailure?, refusedByBackend: Bool = false) {
            if let failure, refusedByBackend {
                summary.notOffered.append("\(failure.group)/\(failure.name)")
                options.output("NOT OFFERED \(failure.group)/\(failure.name) by the \(offer.backend) backend")
            } else if let failure {
                summary.failed += 1
                summary.failures.append(failure)
                options.output(failure.description)
            } else {
                summary.passed += 1
            }
        }
        for dataCase in cases {
            number += 1
            let failure = await runCase(dataCase, socketPath: options.socketPath, tablePrefix: prefix + "\(number)")
            record(failure, refusedByBackend: failure.map { offer.isRefusal($0.actual) } ?? false)
        }
        let runsScenarios = options.disposable || options.only == nil || options.only == scenarioGroup
        let group = options.disposable ? disposableGroup : scenarioGroup
        if runsScenarios {
            for scenario in options.disposable ? DisposableScenarios.all : Scenarios.all {
                number += 1
                let context = ScenarioContext(socketPath: options.socketPath, tablePrefix: prefix + "\(number)")
                do {
                    if let note = try await scenario.run(context) {
                        summary.notes.append("\(scenario.name): \(note)")
                        options.output("NOTE \(group)/\(scenario.name): \(note)")
                    }
                    record(nil)
                } catch let failure as ScenarioFailure {
                    let refused = await offer.refusesAny(
                        of: scenario.needs, socketPath: options.socketPath, probeTable: context.table("probe"))
                    record(
                        ConformanceFailure(
                            group: group, name: scenario.name, request: failure.request,
                            expected: failure.expected, actual: failure.actual),
                        refusedByBackend: refused || offer.isRefusal(failure.actual))
                } catch {
                    record(ConformanceFailure(
                        group: group, name: scenario.name, request: "-", expected: "no error",
                        actual: "\(error)"))
                }
            }
        }
        options.output(summary.summaryLine)
        return summary
    }

    static func runCase(_ dataCase: DataCase, socketPath: String, tablePrefix: String) async -> ConformanceFailure? {
        var bindings = Bindings(tablePrefix: tablePrefix)
        var lastRequest = "-"
        func failure(_ expected: String, _ actual: String) -> ConformanceFailure {
            ConformanceFailure(
                group: dataCase.group, name: dataCase.name, request: lastRequest, expected: expected, actual: actual)
        }
        let connection: LineConnection
        do {
            connection = try await LineConnection.connect(socketPath)
        } catch {
            return failure("a connection", "\(error)")
        }
        defer { connection.close() }
        for step in dataCase.steps {
            do {
                switch step {
                case .send(let value):
                    let request = try bindings.substituteRequest(value)
                    lastRequest = request.jsonString
                    try await connection.send(json: request)
                case .raw(let text):
                    let line = bindings.tables(text)
                    lastRequest = "raw " + JSONValue.string(line).jsonString
                    try await connection.send(line + "\n")
                case .expect(let value):
                    let expected = bindings.substituteTables(value)
                    guard let actual = await connection.nextJSON() else {
                        return failure(expected.jsonString, "no line (timeout or connection closed)")
                    }
                    if !bindings.match(expected, actual) {
                        return failure(expected.jsonString, actual.jsonString)
                    }
                case .expectAnyOrder(let values):
                    var remaining = values.map(bindings.substituteTables)
                    var seen: [JSONValue] = []
                    while !remaining.isEmpty {
                        guard let actual = await connection.nextJSON() else {
                            return failure(
                                "any order: " + JSONValue.array(remaining).jsonString,
                                "no line (timeout or connection closed) after " + JSONValue.array(seen).jsonString)
                        }
                        seen.append(actual)
                        guard let index = remaining.firstIndex(where: { bindings.match($0, actual) }) else {
                            return failure("any order: " + JSONValue.array(remaining).jsonString, actual.jsonString)
                        }
                        remaining.remove(at: index)
                    }
                case .sleep(let milliseconds):
                    try await Task.sleep(for: .milliseconds(milliseconds))
                }
            } catch {
                return failure("a valid step", "\(error)")
            }
        }
        return nil
    }
}
