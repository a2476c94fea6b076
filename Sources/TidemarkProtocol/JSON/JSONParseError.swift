/// Why a JSON text was rejected and where.
///
/// `message` is meant for humans (it ends up in -32700 error responses and
/// logs) and already includes the offset; `offset` is the zero-based byte
/// position in the input where the problem was detected.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String {
        message
    }
}
