/// A strict reader of the Prometheus text format (0.0.4): every sample line must be
/// `name{labels} value`, and every metric name must have been declared by `# TYPE`.
enum PrometheusText {
    struct Malformed: Error, CustomStringConvertible {
        let line: String
        var description: String { "not Prometheus text: \(line)" }
    }

    /// Samples keyed by their exact `name{labels}` text.
    static func parse(_ text: String) throws -> [String: Double] {
        var declared: Set<String> = []
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                    throw Malformed(line: String(line))
                }
                declared.insert(String(parts[2]))
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw Malformed(line: String(line))
            }
            let key = String(line[..<space])
            let name = String(key.prefix { $0 != "{" })
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }),
                key == name || (key.hasSuffix("}") && key.contains("=\"")),
                declared.contains(name) || declared.contains(where: { name.hasPrefix($0 + "_") })
            else { throw Malformed(line: String(line)) }
            samples[key] = value
        }
        return samples
    }
}
