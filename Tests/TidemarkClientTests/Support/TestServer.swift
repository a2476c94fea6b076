import Logging
import TidemarkClient
import TidemarkServer

/// A real server in this process on a temporary socket and data directory.
struct TestServer: Sendable {
    struct StartupFailure: Error {}

    let socketPath: String
    let application: TidemarkApplication

    func connect() async throws -> TidemarkClient {
        try await TidemarkClient.connect(socketPath: socketPath)
    }

    /// Runs `body` while the server listens, then shuts it down and waits until it has
    /// stopped, so a test that forgets nothing leaves nothing running.
    static func run<Result: Sendable>(
        configure: (inout TidemarkApplication.Configuration) -> Void = { _ in },
        _ body: @Sendable (TestServer) async throws -> Result
    ) async throws -> Result {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = TidemarkApplication.Configuration(
            socketPath: directory.appending("tidemark.sock"), dataPath: directory.appending("data"))
        configuration.shutdownSignals = []
        configure(&configuration)
        let (listening, listened) = AsyncStream.makeStream(of: Void.self)
        let application = try TidemarkApplication(
            configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            onListening: { listened.yield() })
        let server = TestServer(socketPath: configuration.server.socketPath, application: application)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends the wait below if the server stops (or fails) before listening.
                defer { listened.finish() }
                try await application.run()
            }
            var events = listening.makeAsyncIterator()
            guard await events.next() != nil else {
                try await group.waitForAll()
                throw StartupFailure()
            }
            let result: Result
            do {
                result = try await body(server)
            } catch {
                await application.shutdown()
                try? await group.waitForAll()
                throw error
            }
            await application.shutdown()
            try await group.waitForAll()
            return result
        }
    }
}
