/// A JSON object that keeps its members in the order they were written or
/// added, so responses serialize deterministically and logs stay readable.
///
/// Keys are compared by their exact Unicode scalars (RFC 8259 §8.3), not by
/// Swift's canonical equivalence, so `"é"` and `"e\u{301}"` are distinct keys.
/// Equality ignores member order, as JSON object semantics do. Lookup is a
/// linear scan: protocol objects have a handful of members, where a scan beats
/// hashing.
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSONValue)

    /// A struct rather than the `Element` tuple: tuples are destroyed through
    /// the runtime's generic tuple witness, structs through specialized code.
    struct Member: Sendable {
        var key: String
        var value: JSONValue
    }

    private(set) var members: [Member]

    public init() {
        members = []
    }

    /// Traps on duplicate keys, like `Dictionary(uniqueKeysWithValues:)`.
    public init(_ pairs: [(String, JSONValue)]) {
        members = []
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            precondition(index(forKey: key) == nil, "duplicate key \"\(key)\" in JSONObject")
            members.append(Member(key: key, value: value))
        }
    }

    /// The parser has already rejected duplicates, so it skips the check.
    init(uncheckedMembers members: [Member]) {
        self.members = members
    }

    public var keys: [String] {
        members.map(\.key)
    }

    /// Reading returns the member's value; assigning replaces it in place or
    /// appends a new member; assigning `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = index(forKey: key) else { return nil }
            return members[index].value
        }
        set {
            if let index = index(forKey: key) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Position of the member named `key`, if any.
    public func index(forKey key: String) -> Int? {
        members.firstIndex { JSONObject.exactlyEqual($0.key, key) }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = index(forKey: key) else { return nil }
        return members.remove(at: index).value
    }

    public mutating func reserveCapacity(_ minimumCapacity: Int) {
        members.reserveCapacity(minimumCapacity)
    }

    /// Code-point equality; `==` would also accept canonically equivalent
    /// strings (and is slower, as it must consider normalization).
    static func exactlyEqual(_ a: String, _ b: String) -> Bool {
        // Comparing contiguous bytes: the UTF-8 views' generic iteration cost as much as
        // the rest of decoding a request.
        var a = a
        var b = b
        return a.withUTF8 { left in
            b.withUTF8 { right in left.count == right.count && left.elementsEqual(right) }
        }
    }
}

extension JSONObject: RandomAccessCollection {
    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }

    public subscript(position: Int) -> Element {
        let member = members[position]
        return (key: member.key, value: member.value)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject: Equatable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        let count = lhs.members.count
        guard count == rhs.members.count else { return false }
        // Usually both sides were built in the same order; only fall back to
        // an order-insensitive comparison from the first divergence.
        var first = 0
        while first < count, exactlyEqual(lhs.members[first].key, rhs.members[first].key) {
            guard lhs.members[first].value == rhs.members[first].value else { return false }
            first += 1
        }
        if first == count { return true }
        let precedes: (Member, Member) -> Bool = { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let left = lhs.members[first...].sorted(by: precedes)
        let right = rhs.members[first...].sorted(by: precedes)
        for (l, r) in zip(left, right) {
            guard exactlyEqual(l.key, r.key), l.value == r.value else { return false }
        }
        return true
    }
}

extension JSONObject: Hashable {
    public func hash(into hasher: inout Hasher) {
        // Order-independent combination, so objects equal under the
        // order-insensitive `==` hash alike.
        var combined = 0
        for member in members {
            var memberHasher = Hasher()
            memberHasher.combine(member.key)
            memberHasher.combine(member.value)
            combined &+= memberHasher.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(combined)
    }
}
