import NIOCore

/// Splits the byte stream at `\n`, emitting every complete line of a read as one group.
///
/// A line longer than `maxLineBytes` is reported once as `.oversized` and its bytes are
/// discarded up to and including its `\n`, without ever being buffered whole: a client
/// cannot make the server hold more than `maxLineBytes` of one line.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = [InboundFrame]

    private let maxLineBytes: Int
    /// Bytes at the front of the buffer already searched for `\n`, so a long line
    /// arriving in many reads is scanned once, not once per read.
    private var scannedBytes = 0
    /// Inside an over-long line whose end has not arrived yet.
    private var discarding = false

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let frames = extractFrames(from: &buffer)
        if !frames.isEmpty {
            context.fireChannelRead(wrapInboundOut(frames))
        }
        return .needMoreData
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        var frames = extractFrames(from: &buffer)
        // A last line without its `\n` is still a request.
        if buffer.readableBytes > 0 && !discarding {
            frames.append(.line(Self.trimmingCarriageReturn(buffer.readSlice(length: buffer.readableBytes)!)))
        }
        buffer.clear()
        if !frames.isEmpty {
            context.fireChannelRead(wrapInboundOut(frames))
        }
        return .needMoreData
    }

    /// Every complete line (or over-long marker) now in `buffer`.
    mutating func extractFrames(from buffer: inout ByteBuffer) -> [InboundFrame] {
        var frames: [InboundFrame] = []
        while true {
            let readable = buffer.readableBytesView
            let searchStart = readable.startIndex + scannedBytes
            guard let newline = readable[searchStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                if discarding {
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    scannedBytes = 0
                } else if buffer.readableBytes > maxLineBytes {
                    frames.append(.oversized)
                    discarding = true
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    scannedBytes = 0
                } else {
                    scannedBytes = buffer.readableBytes
                }
                return frames
            }
            let length = newline - readable.startIndex
            scannedBytes = 0
            if discarding {
                discarding = false
                buffer.moveReaderIndex(forwardBy: length + 1)
            } else if length > maxLineBytes {
                frames.append(.oversized)
                buffer.moveReaderIndex(forwardBy: length + 1)
            } else {
                let line = buffer.readSlice(length: length)!
                buffer.moveReaderIndex(forwardBy: 1)
                frames.append(.line(Self.trimmingCarriageReturn(line)))
            }
        }
    }

    private static func trimmingCarriageReturn(_ line: ByteBuffer) -> ByteBuffer {
        guard line.readableBytesView.last == UInt8(ascii: "\r") else { return line }
        return line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
    }
}
