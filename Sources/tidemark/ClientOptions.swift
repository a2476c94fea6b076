import ArgumentParser
import TidemarkClient

/// The options every client subcommand shares.
struct ClientOptions: ParsableArguments {
    @OptionGroup var server: SocketOption

    @Flag(name: .long, help: "Print the raw JSON result on one line instead of text for people.")
    var json = false

    var socketPath: String { server.socketPath }

    /// Runs `body` on a fresh connection. A failure is reported on stderr and ends the
    /// command with status 2.
    func withClient<Result>(
        _ body: (TidemarkClient) async throws(TidemarkClientError) -> Result
    ) async throws -> Result {
        try await Self.withClient(socketPath: socketPath, body)
    }

    /// The same for commands that take `--socket` without the rest of these options.
    static func withClient<Result>(
        socketPath: String, _ body: (TidemarkClient) async throws(TidemarkClientError) -> Result
    ) async throws -> Result {
        do throws(TidemarkClientError) {
            let client = try await TidemarkClient.connect(socketPath: socketPath)
            do {
                let result = try await body(client)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        } catch {
            Console.report(error)
            throw ExitCode(2)
        }
    }
}
