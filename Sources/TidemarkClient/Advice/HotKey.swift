/// A key among the most written of its table.
public struct HotKey: Hashable, Sendable {
    public var key: String
    /// Writes naming the key (wide writes not counted).
    public var writes: Int

    public init(key: String, writes: Int) {
        self.key = key
        self.writes = writes
    }
}
