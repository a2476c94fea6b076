import Synchronization

/// What the reader, the acknowledger and the feedback loop of a session share: how far
/// the stream has been sent to Tidemark, answered, and confirmed to PostgreSQL.
struct FlowState: Sendable {
    /// End LSN of the last transaction handed to the acknowledger.
    var sentEnd: UInt64 = 0
    /// End LSN of the last transaction whose record is durable (or was already recorded).
    var ackedEnd: UInt64 = 0
    /// What the slot may be confirmed up to: everything at or before it is in Tidemark.
    var confirmable: UInt64 = 0
    /// What was last reported to PostgreSQL.
    var reported: UInt64 = 0
    /// The acknowledger's failure, which ends the session.
    var failure: CaptureError?

    var allAcknowledged: Bool { ackedEnd == sentEnd }
}

/// One transaction on its way to Tidemark: its write's answer to come (nil when nothing
/// had to be written), and how far the slot may advance once it is answered.
struct PendingWrite: Sendable {
    var reply: TidemarkReply?
    var endLSN: UInt64
}

/// The session's one `FlowState`, shared by its tasks.
final class SessionFlow: Sendable {
    private let state = Mutex(FlowState())

    func withLock<Result: Sendable>(_ body: (inout FlowState) -> Result) -> Result {
        state.withLock { body(&$0) }
    }
}
