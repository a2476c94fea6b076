import NIOCore

/// A CopyData message of the logical replication stream (server to client).
enum ReplicationMessage {
    /// `w`: WAL data, here one pgoutput message.
    case data(start: UInt64, walEnd: UInt64, payload: ByteBuffer)
    /// `k`: the server's position; `replyRequested` asks for a standby status update now.
    case keepalive(walEnd: UInt64, replyRequested: Bool)

    init(_ buffer: ByteBuffer) throws(CaptureError) {
        var buffer = buffer
        guard let kind: UInt8 = buffer.readInteger() else { throw CaptureError.truncated("replication") }
        switch kind {
        case UInt8(ascii: "w"):
            let start = try buffer.postgresInteger(UInt64.self)
            let walEnd = try buffer.postgresInteger(UInt64.self)
            _ = try buffer.postgresInteger(Int64.self)  // send time
            self = .data(start: start, walEnd: walEnd, payload: buffer)
        case UInt8(ascii: "k"):
            let walEnd = try buffer.postgresInteger(UInt64.self)
            _ = try buffer.postgresInteger(Int64.self)
            let reply = try buffer.postgresInteger(UInt8.self)
            self = .keepalive(walEnd: walEnd, replyRequested: reply != 0)
        default:
            throw CaptureError(.protocolViolation, "PostgreSQL sent a replication message of kind \(kind)")
        }
    }

    /// `r`: the standby status update. Every position is `flushed`: Tidemark has the
    /// record of every transaction that ends at or before it, durably.
    static func statusUpdate(flushed: UInt64, now unixMicroseconds: Int64, allocator: ByteBufferAllocator) -> ByteBuffer {
        FrontendMessage.copyData(allocator: allocator) { buffer in
            buffer.writeInteger(UInt8(ascii: "r"))
            for _ in 0..<3 { buffer.writeInteger(flushed, endianness: .big) }
            buffer.writeInteger(PostgresTime.postgres(unixMicroseconds: unixMicroseconds), endianness: .big)
            buffer.writeInteger(UInt8(0))
        }
    }
}
