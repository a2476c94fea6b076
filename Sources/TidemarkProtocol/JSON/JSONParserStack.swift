/// A work stack for the parser that starts in caller-provided (normally
/// stack-allocated) memory and moves to the heap only if it outgrows it, so a
/// typical request line is parsed without allocating for bookkeeping.
///
/// Elements are moved in and out by hand: closing a container moves its items
/// straight into the new array instead of copying them and destroying the
/// originals, which with `Array` would cost a retain, a release and an
/// unspecialized value-witness call per item.
struct JSONParserStack<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private var ownsStorage = false
    private(set) var count = 0

    /// `initialStorage` must outlive the stack and must not be empty.
    init(initialStorage: UnsafeMutableBufferPointer<Element>) {
        base = initialStorage.baseAddress!
        capacity = initialStorage.count
    }

    deinit {
        base.deinitialize(count: count)
        if ownsStorage {
            base.deallocate()
        }
    }

    @inline(__always)
    mutating func push(_ element: consuming Element) {
        if count == capacity {
            grow()
        }
        (base + count).initialize(to: element)
        count += 1
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        if ownsStorage {
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
        ownsStorage = true
    }

    /// The top element; the stack must not be empty.
    var last: Element {
        base[count - 1]
    }

    @discardableResult
    mutating func popLast() -> Element {
        count -= 1
        return (base + count).move()
    }

    subscript(index: Int) -> Element {
        base[index]
    }
}

extension JSONParserStack where Element == JSONValue {
    // `reserveCapacity` + `append` rather than `init(unsafeUninitializedCapacity:)`:
    // the latter allocates through an unspecialized stdlib entry point that
    // looks up array storage metadata at run time, which costs more than the
    // rest of closing the container.

    /// Removes everything from `start` up as the elements of an array.
    mutating func popArray(from start: Int) -> [JSONValue] {
        var elements: [JSONValue] = []
        elements.reserveCapacity(count - start)
        for index in start..<count {
            elements.append((base + index).move())
        }
        count = start
        return elements
    }

    /// Removes alternating keys and values from `start` up as an object.
    mutating func popObject(from start: Int) -> JSONObject {
        var members: [JSONObject.Member] = []
        members.reserveCapacity((count - start) / 2)
        var slot = base + start
        while slot < base + count {
            members.append(JSONObject.Member(key: Self.key(in: slot.move()), value: (slot + 1).move()))
            slot += 2
        }
        count = start
        return JSONObject(uncheckedMembers: members)
    }

    /// The key stored in an object's key slot.
    func key(at index: Int) -> String {
        Self.key(in: base[index])
    }

    private static func key(in slot: JSONValue) -> String {
        guard case .string(let key) = slot else {
            preconditionFailure("object key slot does not hold a string")
        }
        return key
    }
}
