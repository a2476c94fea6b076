/// Why the writer refused a mutation without trying it.
public enum WriterRejection: Error, Hashable, Sendable {
    /// The queue is at its limit; the client should retry later.
    case overloaded
    /// The server is stopping and takes no new writes.
    case shuttingDown
}
