import TidemarkProtocol
import TidemarkStore

/// The NDJSON export of a change log (`tidemark export`, read back by `tidemark import`).
///
/// Format: UTF-8, one compact JSON object per line, each line ended by `\n`. The first
/// line may be a header, `{"tidemark_export":1,"epoch":HEX,"oldest":LSN,"lsn":LSN}`:
/// the format version, the exporting server's epoch, its oldest retained LSN and its
/// newest LSN when the export began, and `"sparse":true` when the server's LSNs have gaps
/// (the etcd backend). Every other line is one record in exactly its wire
/// form (`log`'s `Record`: `{lsn, time, kind, changes, intent?, meta?, peer}`), in LSN
/// order. Blank lines are ignored. An export of every table (no `--table`) from the
/// oldest record holds every record, so it can be imported.
public enum LogExport {
    public static let formatVersion: UInt64 = 1
    static let headerKey = "tidemark_export"

    public struct Header: Hashable, Sendable {
        public var epoch: Epoch
        public var oldest: LSN
        public var lsn: LSN
        /// Whether LSNs have gaps that are not missing records.
        public var sparse: Bool

        public init(epoch: Epoch, oldest: LSN, lsn: LSN, sparse: Bool = false) {
            self.epoch = epoch
            self.oldest = oldest
            self.lsn = lsn
            self.sparse = sparse
        }

        public var json: JSONValue {
            var object: JSONObject = [
                LogExport.headerKey: JSONValue(LogExport.formatVersion),
                "epoch": .string(epoch.hex),
                "oldest": JSONValue(oldest),
                "lsn": JSONValue(lsn),
            ]
            if sparse { object["sparse"] = true }
            return .object(object)
        }
    }

    /// One line of an export.
    public enum Line: Hashable, Sendable {
        case header(Header)
        case record(Record)
    }

    /// The text of one line, without its `\n`.
    public static func text(_ line: Line) -> String {
        switch line {
        case .header(let header): JSONWriter.string(header.json)
        case .record(let record): JSONWriter.string(record.json)
        }
    }

    /// Reads one line (without its `\n`; a trailing `\r` is tolerated). Nil for a blank
    /// line. `number` (from 1) only makes errors name the line.
    public static func parse(_ bytes: some Collection<UInt8>, number: Int) throws(TidemarkClientError) -> Line? {
        var bytes = Array(bytes)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        func failure(_ message: String) -> TidemarkClientError {
            TidemarkClientError(.invalidArgument, "line \(number) of the export: \(message)")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw failure("not JSON (\(error))")
        }
        if let version = value[headerKey] {
            guard version.uint64Value == formatVersion else {
                throw failure("export format \(version) is not supported (this tidemark reads format \(formatVersion))")
            }
            guard let epoch = value["epoch"]?.stringValue.flatMap(Epoch.init(hex:)),
                  let oldest = value["oldest"]?.uint64Value, let lsn = value["lsn"]?.uint64Value
            else { throw failure("malformed header") }
            return .header(Header(epoch: epoch, oldest: oldest, lsn: lsn, sparse: value["sparse"]?.boolValue ?? false))
        }
        do {
            return .record(try Record(json: value))
        } catch {
            throw failure("not a record: \(error.message)")
        }
    }
}

extension TidemarkClient {
    /// Reads every retained record from `from` (the oldest when nil) up to the LSN current
    /// when the export began, paging through `log`. Hands `header` the header once, before
    /// any record, and each non-empty page to `body`. Returns the number of records.
    @discardableResult
    public func exportLog(
        from: LSN? = nil, tables: [String]? = nil,
        header: (LogExport.Header) -> Void, _ body: ([Record]) -> Void
    ) async throws(TidemarkClientError) -> Int {
        let hello = try await hello()
        var from = from
        var count = 0
        var first = true
        while true {
            let page = try await log(LogMethod.Params(from: from, limit: 10_000, tables: tables))
            if first {
                header(LogExport.Header(epoch: hello.epoch, oldest: page.oldest, lsn: hello.lsn, sparse: hello.backend != "lmdb"))
                first = false
            }
            if let last = page.records.last, page.next <= last.lsn {
                throw TidemarkClientError(
                    .invalidResponse, "a log page ending at lsn \(last.lsn) gave next \(page.next)")
            }
            let records = page.records.filter { $0.lsn <= hello.lsn }
            if !records.isEmpty { body(records) }
            count += records.count
            if page.next > hello.lsn || (page.records.isEmpty && from == page.next) { break }
            from = page.next
        }
        return count
    }
}
