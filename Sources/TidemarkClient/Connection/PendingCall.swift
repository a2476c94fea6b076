import NIOCore
import TidemarkProtocol

/// One request on its way to the socket: the encoded line and the promise its answer
/// completes. The id is chosen by the caller so the line can be encoded off the event loop.
struct PendingCall: Sendable {
    var id: Int64
    var line: ByteBuffer
    var response: EventLoopPromise<JSONValue>
}
