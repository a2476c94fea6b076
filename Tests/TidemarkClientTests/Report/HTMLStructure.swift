import Testing

/// A strict check of the report's markup: every element is closed, in order, and
/// attributes are quoted. The report writes XHTML-like HTML on purpose, so this holds
/// it to more than browsers demand.
enum HTMLStructure {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static let voidElements: Set<String> = ["meta", "br", "hr", "img", "input", "link"]

    static func check(_ html: String) throws {
        let bytes = Array(html.utf8)
        var stack: [String] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                index += 1
                continue
            }
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: ">")) else {
                throw Malformed(description: "an unterminated tag at byte \(index)")
            }
            let tag = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
            index = end + 1
            if tag.hasPrefix("!") { continue }
            if tag.hasPrefix("/") {
                let name = String(tag.dropFirst())
                guard stack.popLast() == name else {
                    throw Malformed(description: "</\(name)> closes <\(stack.last ?? "nothing")> (open: \(stack))")
                }
                continue
            }
            let name = String(tag.prefix { $0 != " " && $0 != "/" })
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw Malformed(description: "a tag with no name: <\(tag)>")
            }
            guard tag.filter({ $0 == "\"" }).count % 2 == 0 else {
                throw Malformed(description: "an unbalanced quote in <\(tag)>")
            }
            if tag.hasSuffix("/") || voidElements.contains(name) { continue }
            stack.append(name)
            if name == "style" {
                // CSS holds no markup; skip to its end tag.
                guard let close = html.utf8.indices(of: "</style>", from: index) else {
                    throw Malformed(description: "an unclosed <style>")
                }
                index = close
            }
        }
        guard stack.isEmpty else { throw Malformed(description: "unclosed elements: \(stack)") }
    }
}

extension String.UTF8View {
    /// The byte offset of `needle` at or after `from`.
    fileprivate func indices(of needle: String, from: Int) -> Int? {
        let bytes = Array(self)
        let pattern = Array(needle.utf8)
        guard bytes.count >= pattern.count else { return nil }
        for start in from...(bytes.count - pattern.count) where Array(bytes[start..<start + pattern.count]) == pattern {
            return start
        }
        return nil
    }
}
