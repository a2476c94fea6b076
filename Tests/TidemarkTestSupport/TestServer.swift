import Foundation
import Logging
import NIOCore
import NIOPosix
import TidemarkServer

/// Runs a real server in-process on a temporary socket for the duration of `body`.
public struct TestServer: Sendable {
    public let directory: TemporaryDirectory
    public let application: TidemarkApplication

    public var socketPath: String { directory.socketPath }

    public static func withServer<Result: Sendable>(
        directory: TemporaryDirectory? = nil,
        configure: (inout TidemarkApplication.Configuration) -> Void = { _ in },
        _ body: (TestServer) async throws -> Result
    ) async throws -> Result {
        let directory = try directory ?? TemporaryDirectory()
        var configuration = TidemarkApplication.Configuration(
            socketPath: directory.socketPath, dataPath: directory.dataPath)
        configuration.shutdownSignals = []
        configure(&configuration)
        var logger = Logger(label: "tidemark-test")
        logger.logLevel = .warning
        let (listening, listeningSink) = AsyncStream.makeStream(of: Void.self)
        let application = try TidemarkApplication(configuration: configuration, logger: logger) {
            listeningSink.yield()
            listeningSink.finish()
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.run() }
            for await _ in listening { break }
            do {
                let result = try await body(TestServer(directory: directory, application: application))
                await application.shutdown()
                try await group.waitForAll()
                return result
            } catch {
                await application.shutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}
