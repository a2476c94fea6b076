import Foundation
import Synchronization
import TidemarkProtocol
import TidemarkTestSupport

/// Helpers shared by the fault tests (crash loop, storage full, backpressure, shutdown
/// under load), which all drive the real `tidemark` binary.
enum Fault {
    /// Runs `tidemark verify --data DIR` (the real binary, as an operator would) and
    /// returns its exit status and output.
    static func verify(dataPath: String) async throws -> (status: Int32, output: String) {
        try await run(["verify", "--data", dataPath])
    }

    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = try ChildProcess(executable: ServerProcess.binaryPath, arguments: arguments)
        let status = await process.waitForExit()
        return (status, await process.finalOutput())
    }

    /// VmRSS of a process in KiB, from /proc/PID/status; nil once it has exited.
    static func residentKiB(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// Open file descriptors of a process (entries of /proc/PID/fd).
    static func openDescriptors(pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// One request line.
    static func line(_ id: Int64, _ method: String, _ params: JSONValue? = nil) -> String {
        RPCRequest(id: .number(id), method: method, params: params).json.jsonString + "\n"
    }

    /// The whole retained log from `oldest` on, paging with `next` up to `lsn`.
    static func log(_ client: LineClient, through lsn: Int64) async throws -> [JSONObject] {
        var records: [JSONObject] = []
        var from: Int64? = nil
        while true {
            var params: JSONObject = ["limit": 10_000]
            if let from { params["from"] = .integer(from) }
            let page = try await client.result("log", .object(params))
            records += page["records"]?.arrayValue?.compactMap(\.objectValue) ?? []
            guard let next = page["next"]?.int64Value else { throw LineClientError.errorResponse(page) }
            if next > lsn || next == from { return records }
            from = next
        }
    }
}

extension JSONObject {
    var lsn: Int64? { self["lsn"]?.int64Value }
    var kind: String? { self["kind"]?.stringValue }
    var intent: String? { self["intent"]?.stringValue }
}
