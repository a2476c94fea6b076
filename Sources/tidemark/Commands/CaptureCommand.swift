import ArgumentParser

struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Record the writes a database commits, from its own log, as Tidemark writes.",
        subcommands: [CapturePostgresCommand.self])
}
