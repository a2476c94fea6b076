#if canImport(Glibc)
import Glibc
#endif

extension AccessPolicy.Principal {
    /// Parses a comma-separated list such as `uid:1000,gid:50,uid:postgres,gid:www-data`;
    /// names are resolved through the system's user and group databases now, so a typo
    /// fails at startup rather than locking everyone out.
    public static func parseList(_ text: String) throws(AccessPolicyError) -> [AccessPolicy.Principal] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: " ")
        }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw AccessPolicyError("expected a list such as uid:1000,gid:50, got \"\(text)\"")
        }
        var principals: [AccessPolicy.Principal] = []
        for item in items { principals.append(try parse(item)) }
        return principals
    }

    static func parse(_ item: Substring) throws(AccessPolicyError) -> AccessPolicy.Principal {
        let parts = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw AccessPolicyError("\"\(item)\" is not uid:ID, uid:NAME, gid:ID or gid:NAME")
        }
        let value = String(parts[1])
        switch parts[0] {
        case "uid":
            if let uid = UInt32(value) { return .uid(uid) }
            guard let entry = getpwnam(value) else { throw AccessPolicyError("no user named \"\(value)\"") }
            return .uid(entry.pointee.pw_uid)
        case "gid":
            if let gid = UInt32(value) { return .gid(gid) }
            guard let entry = getgrnam(value) else { throw AccessPolicyError("no group named \"\(value)\"") }
            return .gid(entry.pointee.gr_gid)
        default:
            throw AccessPolicyError("\"\(item)\" is not uid:ID, uid:NAME, gid:ID or gid:NAME")
        }
    }
}

/// A `--writers` or `--readers` list that cannot be used.
public struct AccessPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var text = self
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return text
    }
}
