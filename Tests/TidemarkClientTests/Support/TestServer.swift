import Logging
import TidemarkClient
import TidemarkServer
import TidemarkStore

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
    ///
    /// In `directory` when given (kept afterwards, so a second run there is a restart on
    /// the same socket and data directory), else in a fresh one removed at the end.
    static func run<Result: Sendable>(
        in directory: TemporaryDirectory? = nil,
        configure: (inout TidemarkApplication.Configuration) -> Void = { _ in },
        _ body: @Sendable (TestServer) async throws -> Result
    ) async throws -> Result {
        let restarting = directory != nil
        let owned = directory == nil ? try TemporaryDirectory() : nil
        defer { owned?.remove() }
        guard let directory = directory ?? owned else { preconditionFailure("no directory") }
        var configuration = TidemarkApplication.Configuration(
            socketPath: directory.appending("tidemark.sock"), dataPath: directory.appending("data"))
        configuration.shutdownSignals = []
        configure(&configuration)
        let (listening, listened) = AsyncStream.makeStream(of: Void.self)
        let application = try await openApplication(
            configuration: configuration, restarting: restarting, onListening: { listened.yield() })
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

    /// Opens the application. On a restart in the same directory, the previous in-process
    /// server's store may still be held for a moment after its `run()` returned (its
    /// last connections are torn down on the event loop, and the directory's lock goes
    /// with the store's last reference), so `.locked` is retried, within a bound.
    private static func openApplication(
        configuration: TidemarkApplication.Configuration, restarting: Bool,
        onListening: @escaping @Sendable () -> Void
    ) async throws -> TidemarkApplication {
        var attempts = 0
        while true {
            do {
                return try TidemarkApplication(
                    configuration: configuration,
                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                    onListening: onListening)
            } catch let error as StoreError where restarting && error.code == .locked && attempts < 500 {
                attempts += 1
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
}
