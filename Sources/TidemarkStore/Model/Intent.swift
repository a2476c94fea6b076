/// Where an intent is in its life. Only `open` intents cover dependencies.
public enum IntentState: String, Hashable, Sendable, CaseIterable {
    case open
    case committed
    case aborted
    case expired
    /// Never opened here, or closed so long ago that it was forgotten.
    case unknown
}

/// A writer's announcement of a database transaction's changes before its COMMIT.
public struct Intent: Hashable, Sendable {
    public var id: String
    public var state: IntentState
    public var changes: [Change]
    public var meta: [UInt8]?
    /// Who called `begin`; an expiry is recorded in their name.
    public var peer: Peer
    /// The LSN of the `begin` record.
    public var beginLSN: LSN
    public var expiresAt: Milliseconds
    /// When it stopped being open; 0 while open.
    public var closedAt: Milliseconds

    public init(
        id: String, state: IntentState, changes: [Change], meta: [UInt8]?, peer: Peer,
        beginLSN: LSN, expiresAt: Milliseconds, closedAt: Milliseconds = 0
    ) {
        self.id = id
        self.state = state
        self.changes = changes
        self.meta = meta
        self.peer = peer
        self.beginLSN = beginLSN
        self.expiresAt = expiresAt
        self.closedAt = closedAt
    }

    /// Whether committing this intent would advance `ver(dep)`.
    public func covers(_ dep: Dep) -> Bool {
        changes.contains { $0.covers(dep) }
    }
}
