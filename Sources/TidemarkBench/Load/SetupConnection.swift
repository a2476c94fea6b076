import NIOCore
import NIOPosix
import TidemarkProtocol

/// The one plain request/answer connection a run uses before the load starts: it
/// writes the keys and takes the stamp that checks are made against.
struct SetupConnection {
    /// Keys per change of a preload write: the protocol's `max_keys_per_change`, and a
    /// line well under the 1 MiB limit.
    static let keysPerWrite = 10_000
    /// Preload writes in flight at once.
    static let preloadWindow = 8

    let socketPath: String
    let group: any EventLoopGroup

    /// Writes every key once (so each has a version and a `check` does real lookups), then
    /// returns a stamp taken after those writes.
    func prepare(table: String, keys: Int, preload: Bool) async throws -> RequestEncoder.Stamp {
        let channel = try await ClientBootstrap(group: group).connect(unixDomainSocketPath: socketPath) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 64 << 20)))
                return try NIOAsyncChannel<[InboundFrame], ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        return try await channel.executeThenClose { inbound, outbound in
            var reads = inbound.makeAsyncIterator()
            var frames: ArraySlice<InboundFrame> = []
            func nextAnswer() async throws -> JSONValue {
                while frames.isEmpty {
                    guard let read = try await reads.next() else {
                        throw BenchError("the server closed the setup connection")
                    }
                    frames = read[...]
                }
                guard case .line(let line) = frames.removeFirst() else {
                    throw BenchError("an over-long answer during setup")
                }
                let answer = try JSONParser.parse(line)
                if let error = answer["error"] { throw BenchError("setup request failed: \(JSONWriter.string(error))") }
                guard let result = answer["result"] else { throw BenchError("setup answer without a result") }
                return result
            }
            if preload {
                let chunks = stride(from: 0, to: keys, by: Self.keysPerWrite).map { $0..<min($0 + Self.keysPerWrite, keys) }
                var sent = 0
                var answered = 0
                while answered < chunks.count {
                    while sent < chunks.count && sent - answered < Self.preloadWindow {
                        try await outbound.write(Self.preloadRequest(table: table, keys: chunks[sent], id: sent))
                        sent += 1
                    }
                    _ = try await nextAnswer()
                    answered += 1
                }
            }
            try await outbound.write(ByteBuffer(string: #"{"jsonrpc":"2.0","id":"stamp","method":"stamp"}"# + "\n"))
            let stamp = try await nextAnswer()
            guard let epoch = stamp["epoch"]?.stringValue, let lsn = stamp["lsn"]?.uint64Value else {
                throw BenchError("the stamp answer has no epoch or lsn: \(JSONWriter.string(stamp))")
            }
            return RequestEncoder.Stamp(epoch: epoch, lsn: lsn)
        }
    }

    static func preloadRequest(table: String, keys: Range<Int>, id: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString(#"{"jsonrpc":"2.0","id":\#(id),"method":"write","params":{"changes":[{"table":"#)
        buffer.writeString(RequestEncoder.quoted(table))
        buffer.writeString(#","keys":["#)
        for key in keys {
            if key != keys.lowerBound { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeString("\"k")
            RequestEncoder.writeDecimal(key, into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
        }
        buffer.writeString("]}],\"meta\":{\"bench\":\"preload\"}}}\n")
        return buffer
    }
}
