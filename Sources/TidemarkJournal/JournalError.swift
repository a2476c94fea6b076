/// What the journal could not do: an opaque error with a code, a message and the
/// underlying cause (an errno text), as at every boundary of the project.
public struct JournalError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// No room for the frames: in the segment, or on the disk (ENOSPC).
        case full
        /// The file system refused a read, write or flush.
        case io
        /// Frames that do not continue the journal (an LSN out of order).
        case invalidArgument
        /// Segments that do not continue one another, or a journal that does not reach
        /// what the data file holds.
        case corrupted
    }

    public let code: Code
    public let message: String
    public let cause: String?

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message) (\($0))" } ?? message }
}
