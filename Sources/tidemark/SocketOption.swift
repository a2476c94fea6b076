import ArgumentParser
import TidemarkClient

/// `--socket`, for every command that talks to a running server.
struct SocketOption: ParsableArguments {
    @Option(
        name: .long, help: ArgumentHelp(
            "The server's socket.",
            discussion: "Default: $TIDEMARK_SOCKET, else $XDG_RUNTIME_DIR/tidemark/tidemark.sock, else /tmp/tidemark-<uid>/tidemark.sock.",
            valueName: "path"))
    var socket: String?

    var socketPath: String { socket ?? DefaultPaths.socketPath() }
}
