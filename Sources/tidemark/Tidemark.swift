import ArgumentParser
import TidemarkServer

@main
struct Tidemark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidemark",
        abstract: "Durable versions for cache invalidation: a local service and its client.",
        discussion: """
            Run the service with `tidemark serve`; every other subcommand is a client that \
            talks to it over its Unix socket (see `--socket`).

            CHANGE and DEP arguments name a table or keys in it:
              users          the whole table (a wide change, or a table dependency)
              users:42       one key
              users:42,43    several keys
            A backslash makes the next character literal: `tags:a\\,b` is the key `a,b`.

            Exit status: 0 on success; for `check`, 1 when the entry is not valid; \
            2 for errors (server errors, no connection), 64 for bad usage.
            """,
        version: ServerIdentity.version,
        subcommands: [
            ServeCommand.self, WriteCommand.self, StampCommand.self, CheckCommand.self,
            RegisterCommand.self, BeginCommand.self, CommitCommand.self, AbortCommand.self,
            LogCommand.self, StatsCommand.self, CompactCommand.self, WhyCommand.self, VerifyCommand.self, ConformanceCommand.self,
            ExportCommand.self, ImportCommand.self, BenchCommand.self, LocalBenchCommand.self, AdviseCommand.self,
            ReportCommand.self, CaptureCommand.self,
        ])
}
