import NIOCore
import NIOPosix
import TidemarkProtocol

/// A deliberately wrong server: forwards to a real one, but passes every line the real
/// server sends through `rewrite` first.
enum RewritingProxy {
    static func with<Result: Sendable>(
        upstream: String, listen path: String, rewrite: @escaping @Sendable (JSONValue) -> JSONValue,
        _ body: @Sendable () async throws -> Result
    ) async throws -> Result {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { children in
                        for try await child in inbound {
                            children.addTask { try? await relay(child, upstream: upstream, rewrite: rewrite) }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    private static func relay(
        _ child: NIOAsyncChannel<ByteBuffer, ByteBuffer>, upstream: String,
        rewrite: @escaping @Sendable (JSONValue) -> JSONValue
    ) async throws {
        let server = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: upstream) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 64 << 20)))
                    return try NIOAsyncChannel<[InboundFrame], ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await child.executeThenClose { clientIn, clientOut in
            try await server.executeThenClose { serverIn, serverOut in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await bytes in clientIn { try await serverOut.write(bytes) }
                    }
                    group.addTask {
                        for try await frames in serverIn {
                            for case .line(let line) in frames {
                                let text: String
                                if let value = try? JSONParser.parse(line) {
                                    text = rewrite(value).jsonString
                                } else {
                                    text = String(decoding: line.readableBytesView, as: UTF8.self)
                                }
                                try await clientOut.write(ByteBuffer(string: text + "\n"))
                            }
                        }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}
