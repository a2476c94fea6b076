/// Why an entry is not valid. When several apply, the first in declaration order is given.
public enum InvalidReason: String, Hashable, Sendable, CaseIterable {
    /// The stamp comes from another data directory's history.
    case epoch
    /// The stamp names an LSN this server has not reached.
    case future
    /// A dependency was written after the stamp.
    case changed
    /// An open intent covers a dependency.
    case pending
    /// The name was never registered, was invalidated, or was purged after expiry.
    case unknown
    /// The name outlived its TTL and has not been purged yet.
    case expired
}

/// The answer to "is this entry still valid?".
public struct Validity: Hashable, Sendable {
    public var reason: InvalidReason?
    /// Dependencies written after the stamp, with their current versions.
    public var changed: [VersionedDep]
    /// Dependencies covered by an open intent.
    public var pending: [Dep]

    public init(reason: InvalidReason?, changed: [VersionedDep] = [], pending: [Dep] = []) {
        self.reason = reason
        self.changed = changed
        self.pending = pending
    }

    public static let valid = Validity(reason: nil)

    public var isValid: Bool { reason == nil }
}

/// One question of a `check`: a stamp with its dependencies, or a registered name.
public enum CheckQuery: Hashable, Sendable {
    case stamp(Stamp, deps: [Dep])
    case name(String)
}
