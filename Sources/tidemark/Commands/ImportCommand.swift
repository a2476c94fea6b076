import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Replay an export into a new data directory, offline, for debugging.",
        discussion: """
            Reads FILE (from `tidemark export`; `-` for stdin) and applies its records in \
            order to a fresh store in --data, which must not exist or be empty; no server \
            may run on it. Every record keeps its LSN, time, kind, changes, intent, meta \
            and peer, and sets the versions and intents as it did: `write`, `commit` and \
            `expire` advance versions, `begin` opens its intent, `commit`/`abort`/`expire` \
            close it. Records must be dense (an export without --table); a gap is refused, \
            naming the missing LSN, unless the export's header says its LSNs have gaps \
            (`"sparse":true`, from an etcd-backed server): then every record keeps its \
            LSN and the directory remembers that it is sparse. An export that starts above LSN 1 (a compacted log) \
            starts the new store there (its `oldest`).

            Not imported: names (`register`) are not in the log; the epoch (the new store \
            has its own, so old stamps are invalid there); versions set only by records \
            compacted before the export. An open intent's lease end is not in the log: it \
            becomes its begin time + --lease, and leases already over are expired (with \
            new `expire` records) by the first `tidemark serve` on the directory.

            Example:
              tidemark import --data /tmp/replay tidemark.ndjson
              tidemark serve --data /tmp/replay --socket /tmp/replay.sock
            """)

    @Option(help: ArgumentHelp("The new data directory (must not exist, or be empty).", valueName: "dir"))
    var data: String

    @Option(
        help: ArgumentHelp("The lease given to imported intents, from their begin time (default 30s).", valueName: "duration"),
        transform: Arguments.duration)
    var lease: UInt64 = 30_000

    @Option(name: .customLong("batch"), help: ArgumentHelp("Records per transaction (default 10000).", valueName: "n"))
    var batch = LMDBStore.importBatchSize

    @Argument(help: ArgumentHelp("The export to read; `-` for stdin.", valueName: "file"))
    var file: String

    func validate() throws {
        if batch <= 0 { throw ValidationError("--batch must be at least 1") }
    }

    func run() async throws {
        do {
            try importFile()
        } catch let error as StoreError {
            Console.error(error.message)
            throw ExitCode(2)
        } catch let error as TidemarkClientError {
            Console.report(error)
            throw ExitCode(2)
        }
    }

    private func importFile() throws {
        let reader = try ExportFileReader(path: file)
        let store = try LMDBStore.openForImport(path: data)
        var pending: [Record] = []
        var imported = 0
        var first: LSN?
        var sparse = false
        func flush() throws {
            guard !pending.isEmpty else { return }
            try store.importRecords(pending, lease: lease, batchSize: batch, sparse: sparse)
            first = first ?? pending.first?.lsn
            imported += pending.count
            pending.removeAll(keepingCapacity: true)
        }
        while let line = try reader.next() {
            if case .header(let header) = line { sparse = header.sparse }
            guard case .record(let record) = line else { continue }
            pending.append(record)
            if pending.count >= batch { try flush() }
        }
        try flush()
        let statistics = try store.statistics()
        let range = first.map { " (lsn \($0)–\(statistics.lsn))" } ?? ""
        Console.note(
            "imported \(imported) records\(range) into \(data); open intents: \(statistics.openIntents); "
                + "new epoch \(store.epoch.hex)")
    }
}
