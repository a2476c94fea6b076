/// Where a write came from in an external, ordered stream (a database's commit log): the
/// stream's name and the write's position in it. The store keeps the highest position
/// recorded per source, in the same transaction as the record, so a write replayed after
/// a crash of the producer (or of the store) is recognised and not recorded twice.
public struct SourcePosition: Hashable, Sendable {
    /// Names the stream, e.g. `postgres:<system id>:<slot>`. Non-empty, at most the
    /// store's `maxNameBytes`.
    public var name: String
    /// Strictly increasing along the stream; at least 1 (0 is "nothing recorded yet").
    public var position: UInt64
    /// The position this write follows in the stream. When given, the write is applied
    /// only if it equals the recorded position, so a producer that pipelines writes can
    /// never record one past an earlier write that failed (which would then be skipped
    /// as a duplicate forever).
    public var after: UInt64?

    public init(name: String, position: UInt64, after: UInt64? = nil) {
        self.name = name
        self.position = position
        self.after = after
    }
}
