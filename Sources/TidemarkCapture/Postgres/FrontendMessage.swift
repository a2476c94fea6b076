import NIOCore

/// The messages a replication client sends, encoded.
enum FrontendMessage {
    static func startup(_ parameters: [(String, String)], allocator: ByteBufferAllocator) -> ByteBuffer {
        var body = allocator.buffer(capacity: 128)
        body.writeInteger(Int32(196_608), endianness: .big)  // protocol 3.0
        for (name, value) in parameters {
            body.writePostgresString(name)
            body.writePostgresString(value)
        }
        body.writeInteger(UInt8(0))
        var message = allocator.buffer(capacity: body.readableBytes + 4)
        message.writeInteger(Int32(body.readableBytes + 4), endianness: .big)
        message.writeBuffer(&body)
        return message
    }

    static func password(_ password: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        message(UInt8(ascii: "p"), allocator: allocator) { $0.writePostgresString(password) }
    }

    static func saslInitialResponse(mechanism: String, _ data: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        message(UInt8(ascii: "p"), allocator: allocator) {
            $0.writePostgresString(mechanism)
            $0.writeInteger(Int32(data.count), endianness: .big)
            $0.writeBytes(data)
        }
    }

    static func saslResponse(_ data: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        message(UInt8(ascii: "p"), allocator: allocator) { $0.writeBytes(data) }
    }

    static func query(_ sql: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        message(UInt8(ascii: "Q"), allocator: allocator) { $0.writePostgresString(sql) }
    }

    static func copyData(allocator: ByteBufferAllocator, _ write: (inout ByteBuffer) -> Void) -> ByteBuffer {
        message(UInt8(ascii: "d"), allocator: allocator, write)
    }

    static func terminate(allocator: ByteBufferAllocator) -> ByteBuffer {
        message(UInt8(ascii: "X"), allocator: allocator) { _ in }
    }

    private static func message(
        _ type: UInt8, allocator: ByteBufferAllocator, _ write: (inout ByteBuffer) -> Void
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        buffer.writeInteger(type)
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        write(&buffer)
        buffer.setInteger(Int32(buffer.writerIndex - lengthIndex), at: lengthIndex, endianness: .big)
        return buffer
    }
}

extension ByteBuffer {
    mutating func writePostgresString(_ string: String) {
        writeString(string)
        writeInteger(UInt8(0))
    }
}
