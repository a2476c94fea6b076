/// A cache key registered with its stamp and dependencies, so that a later `check` can
/// ask by name and a write can say which names it invalidated.
public struct NamedEntry: Hashable, Sendable {
    public var name: String
    public var stamp: Stamp
    public var deps: [Dep]
    public var expiresAt: Milliseconds

    public init(name: String, stamp: Stamp, deps: [Dep], expiresAt: Milliseconds) {
        self.name = name
        self.stamp = stamp
        self.deps = deps
        self.expiresAt = expiresAt
    }
}
