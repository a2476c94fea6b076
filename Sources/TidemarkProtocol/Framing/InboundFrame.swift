import NIOCore

/// One line of the newline-delimited stream, or the fact that a line was too long and
/// was skipped. Frames come in groups, one group per socket read, so the connection can
/// answer a burst of pipelined requests with one write.
public enum InboundFrame: Sendable, Equatable {
    /// The bytes before the `\n`, without a trailing `\r`.
    case line(ByteBuffer)
    /// A line longer than the limit; its bytes were dropped.
    case oversized
}
