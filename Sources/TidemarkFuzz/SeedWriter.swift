#if DEBUG || TIDEMARK_FUZZ
import Foundation
import TidemarkProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Turns the conformance vectors (protocol/conformance/*.ndjson) into a seed corpus:
/// `tidemark-fuzz --write-seeds CONFORMANCE_DIR OUT_DIR`. Each case becomes one seed of
/// all its request lines, and each request line a seed of its own. Placeholders are
/// made concrete (`$T` a table prefix, `"$s"`-style LSN variables a number) except
/// `$epoch`, which the harness replaces with its store's epoch.
enum SeedWriter {
    static func handles(_ arguments: [String]) -> Bool {
        guard arguments.count >= 2, arguments[1] == "--write-seeds" else { return false }
        guard arguments.count == 4 else {
            printError("usage: tidemark-fuzz --write-seeds CONFORMANCE_DIR OUT_DIR")
            exit(2)
        }
        let count = write(from: arguments[2], to: arguments[3])
        print("wrote \(count) seeds to \(arguments[3])")
        return true
    }

    static func write(from conformance: String, to output: String) -> Int {
        guard let directory = opendir(conformance) else {
            printError("cannot open \(conformance)")
            exit(1)
        }
        var files: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".ndjson") { files.append(name) }
        }
        closedir(directory)
        var seeds: [[UInt8]] = []
        for file in files.sorted() {
            guard let bytes = read("\(conformance)/\(file)") else { continue }
            var current: [[UInt8]] = []
            for line in bytes.split(separator: 10) {
                guard let step = try? JSONParser.parse(line).objectValue else { continue }
                if step["case"] != nil {
                    if current.count > 1 { seeds.append(Array(current.joined(separator: [10]))) }
                    current = []
                } else if let send = step["send"] {
                    current.append(concrete(Array(send.jsonString.utf8)))
                } else if let raw = step["raw"]?.stringValue {
                    current.append(concrete(Array(raw.utf8)))
                }
                if let last = current.last, step["case"] == nil, step["send"] != nil || step["raw"] != nil {
                    seeds.append(last)
                }
            }
            if current.count > 1 { seeds.append(Array(current.joined(separator: [10]))) }
        }
        mkdir(output, 0o755)
        var written = 0
        for (index, seed) in seeds.enumerated() where seed.count <= 65_536 {
            guard let handle = fopen("\(output)/seed-\(index)", "wb") else { continue }
            fwrite(seed, 1, seed.count, handle)
            fclose(handle)
            written += 1
        }
        return written
    }

    /// `$T.x` -> `t.x`; a quoted variable such as `"$s"` or `"$s+1000"` -> a number.
    private static func concrete(_ line: [UInt8]) -> [UInt8] {
        var text = String(decoding: line, as: UTF8.self)
        text = text.replacingOccurrences(of: "$T.", with: "t.").replacingOccurrences(of: "$T", with: "t")
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "\"$") {
            result += rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            let name = after.prefix { $0.isLetter || $0.isNumber }
            if name == "epoch" || name.isEmpty {
                result += rest[start]
                rest = after
                continue
            }
            var tail = after.dropFirst(name.count)
            var number = 1
            if tail.first == "+" {
                let digits = tail.dropFirst().prefix { $0.isNumber }
                number += Int(digits) ?? 0
                tail = tail.dropFirst(1 + digits.count)
            }
            guard tail.first == "\"" else {
                result += rest[start]
                rest = after
                continue
            }
            result += String(number)
            rest = tail.dropFirst()
        }
        result += rest
        return Array(result.utf8)
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let handle = fopen(path, "rb") else { return nil }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }
}
#endif
