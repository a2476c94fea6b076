import Foundation
import TidemarkProtocol

/// One step of a data-file case.
enum Step: Sendable {
    case send(JSONValue)
    case raw(String)
    case expect(JSONValue)
    case expectAnyOrder([JSONValue])
    case sleep(milliseconds: Int)
}

/// One case of a data file: a sequence of steps on one fresh connection.
struct DataCase: Sendable {
    var group: String
    var name: String
    var file: String
    var line: Int
    var steps: [Step] = []
}

enum CaseLoader {
    /// The directory of the data files: `explicit`, else `protocol/conformance` under the
    /// current directory or one of its parents, else next to (or above) the binary.
    static func locate(_ explicit: String?) throws -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        let binary = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        starts.append(binary.deletingLastPathComponent())
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = directory.appendingPathComponent("protocol/conformance")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                    return candidate
                }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        throw ConformanceError.cases(
            "cannot find protocol/conformance under the current directory or the binary's; pass --cases DIR")
    }

    static func load(directory: URL, only: String?) throws -> [DataCase] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".ndjson") }
            .sorted()
        var cases: [DataCase] = []
        for file in files {
            let group = String(file.dropLast(".ndjson".count))
            if let only, only != group { continue }
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            cases += try parse(text, group: group, file: file)
        }
        return cases
    }

    static func parse(_ text: String, group: String, file: String) throws -> [DataCase] {
        var cases: [DataCase] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let where_ = "\(file):\(index + 1)"
            let value: JSONValue
            do { value = try JSONParser.parse(line) } catch {
                throw ConformanceError.cases("\(where_): not JSON: \(error)")
            }
            guard let object = value.objectValue, object.count == 1, let key = object.keys.first,
                let item = object[key]
            else { throw ConformanceError.cases("\(where_): a line must be an object with one member") }
            if key == "comment" { continue }
            if key == "case" {
                guard let name = item.stringValue else { throw ConformanceError.cases("\(where_): case needs a name") }
                cases.append(DataCase(group: group, name: name, file: file, line: index + 1))
                continue
            }
            guard !cases.isEmpty else { throw ConformanceError.cases("\(where_): a step before the first case") }
            switch key {
            case "send": cases[cases.count - 1].steps.append(.send(item))
            case "raw":
                guard let raw = item.stringValue else { throw ConformanceError.cases("\(where_): raw needs a string") }
                cases[cases.count - 1].steps.append(.raw(raw))
            case "expect": cases[cases.count - 1].steps.append(.expect(item))
            case "expect_any_order":
                guard let items = item.arrayValue else { throw ConformanceError.cases("\(where_): expect_any_order needs an array") }
                cases[cases.count - 1].steps.append(.expectAnyOrder(items))
            case "sleep_ms":
                guard let ms = item.int64Value, ms >= 0 else { throw ConformanceError.cases("\(where_): sleep_ms needs an integer") }
                cases[cases.count - 1].steps.append(.sleep(milliseconds: Int(ms)))
            default:
                throw ConformanceError.cases("\(where_): unknown member \(key)")
            }
        }
        return cases
    }
}
