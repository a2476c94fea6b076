import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the retained change log as NDJSON, for `tidemark import`.",
        discussion: """
            Writes every retained record from --from on (default: the oldest), up to the \
            LSN current when the export begins, to stdout or --output FILE, paging through \
            `log`. The server keeps serving meanwhile.

            Format: one compact JSON object per line. The first line is a header \
            {"tidemark_export":1,"epoch":HEX,"oldest":LSN,"lsn":LSN} (format version, the \
            server's epoch, its oldest retained LSN and its LSN when the export began; \
            and "sparse":true from a server whose LSNs have gaps, the etcd backend); \
            every other line is one record exactly as `log` returns it: \
            {lsn, time, kind, changes, intent?, meta?, peer}.

            Only an export of every table (no --table) holds every record and can be \
            imported.

            Examples:
              tidemark export --output tidemark.ndjson
              tidemark export --from 120000 --table users | jq .
            """)

    @OptionGroup var server: SocketOption

    @Option(help: ArgumentHelp("The first LSN to export (default: the oldest retained).", valueName: "lsn"))
    var from: UInt64?

    @Option(name: .customLong("table"), help: ArgumentHelp("Only records that change this table; repeatable.", valueName: "table"))
    var tables: [String] = []

    @Option(name: [.short, .long], help: ArgumentHelp("Write to this file (created 0600) instead of stdout.", valueName: "file"))
    var output: String?

    func run() async throws {
        do throws(TidemarkClientError) {
            let writer = try ExportFileWriter(path: output)
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            var failure: TidemarkClientError?
            let write = { (lines: [String]) in
                guard failure == nil else { return }
                do throws(TidemarkClientError) { try writer.write(lines) } catch { failure = error }
            }
            let count: Int
            do {
                count = try await client.exportLog(
                    from: from, tables: tables.isEmpty ? nil : tables,
                    header: { write([LogExport.text(.header($0))]) },
                    { records in write(records.map { LogExport.text(.record($0)) }) })
                await client.close()
            } catch {
                await client.close()
                throw error
            }
            if let failure { throw failure }
            try writer.finish()
            if output != nil { Console.note("exported \(count) records to \(writer.path)") }
        } catch {
            Console.report(error)
            throw ExitCode(2)
        }
    }
}
