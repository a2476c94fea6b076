import NIOCore

/// Frames the byte stream into messages: a type byte, a big-endian length that counts
/// itself, then the body.
struct BackendMessageDecoder: ByteToMessageDecoder {
    typealias InboundOut = BackendMessage

    /// PostgreSQL's own limit on a single value (1 GB), so no message is larger.
    static let maxMessageBytes = 1 << 30

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let type: UInt8 = buffer.getInteger(at: buffer.readerIndex),
            let length: Int32 = buffer.getInteger(at: buffer.readerIndex + 1, endianness: .big)
        else { return .needMoreData }
        guard length >= 4, Int(length) <= Self.maxMessageBytes else {
            throw CaptureError(.protocolViolation, "PostgreSQL sent a message with a length of \(length)")
        }
        guard buffer.readableBytes >= 1 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 5)
        var body = buffer.readSlice(length: Int(length) - 4)!
        context.fireChannelRead(wrapInboundOut(try BackendMessage(type: type, body: &body)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
