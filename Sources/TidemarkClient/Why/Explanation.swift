import TidemarkProtocol
import TidemarkStore

/// What `tidemark why` is asked about: a registered name, a stamp with its deps, or a
/// name with a stamp to fall back on when the name is no longer known.
public struct WhyQuery: Hashable, Sendable {
    public var name: String?
    /// The stamp's epoch; nil for the server's current one.
    public var epoch: Epoch?
    public var lsn: LSN?
    public var deps: [Dep]

    public init(name: String? = nil, epoch: Epoch? = nil, lsn: LSN? = nil, deps: [Dep] = []) {
        self.name = name
        self.epoch = epoch
        self.lsn = lsn
        self.deps = deps
    }
}

/// Why a cached entry is, or is not, valid now: the server's verdict (`check`) together
/// with the log records behind it (`log`): the records after the stamp that advanced its
/// deps, the open intents that cover them, and what compaction has removed.
public struct Explanation: Hashable, Sendable {
    /// A record after the stamp that advanced some of the entry's deps.
    public struct Cause: Hashable, Sendable {
        public var record: Record
        /// The entry's deps this record advanced, in the order the entry gave them.
        public var deps: [Dep]
    }

    /// An intent whose `begin` is in the log with no later `commit`, `abort` or `expire`.
    public struct OpenIntent: Hashable, Sendable {
        public var id: String
        public var begin: Record
        /// The entry's deps it covers.
        public var deps: [Dep]
    }

    /// For a changed dep when the records after the stamp were partly compacted: the
    /// earliest retained record after the stamp that changed it, if any.
    public struct EarliestRetained: Hashable, Sendable {
        public var dep: Dep
        /// The dep's current version (the LSN of the last record that advanced it).
        public var version: LSN
        public var record: Record?
    }

    public var serverEpoch: Epoch
    public var serverLSN: LSN
    /// The first retained LSN when the log was read.
    public var oldest: LSN
    public var name: String?
    /// `check {name}`'s answer, when a name was asked about.
    public var nameValidity: Validity?
    /// The stamp and deps explained; nil when only a name was asked about.
    public var stamp: Stamp?
    public var deps: [Dep]
    /// The verdict: the name's, unless the name is unknown or expired and a stamp was
    /// given, in which case the stamp's.
    public var validity: Validity
    public var causes: [Cause]
    public var openIntents: [OpenIntent]
    /// Pending deps for which no open intent's `begin` was found (it was compacted away).
    public var pendingWithoutBegin: [Dep]
    /// Records `stamp.lsn + 1 ... oldest - 1`, gone before they could be read.
    public var compacted: ClosedRange<LSN>?
    public var earliestRetained: [EarliestRetained]

    public var isValid: Bool { validity.isValid }

    /// The command's exit status: 0 when valid, 1 when not (errors are 2, elsewhere).
    public var exitStatus: Int32 { isValid ? 0 : 1 }

    /// Whether the name asked about is no longer known to the server.
    public var nameIsGone: Bool {
        nameValidity?.reason == .unknown || nameValidity?.reason == .expired
    }
}

extension Explanation {
    /// Asks the server (`hello`, `check`, `log`) and explains the answer.
    public static func build(_ query: WhyQuery, client: TidemarkClient) async throws(TidemarkClientError) -> Explanation {
        let hello = try await client.hello()
        var explanation = Explanation(
            serverEpoch: hello.epoch, serverLSN: hello.lsn, oldest: hello.lsn + 1, name: query.name,
            nameValidity: nil, stamp: nil, deps: [], validity: .valid, causes: [], openIntents: [],
            pendingWithoutBegin: [], compacted: nil, earliestRetained: [])
        if let name = query.name {
            let validity = try await client.check(name: name)
            explanation.nameValidity = validity
            explanation.validity = validity
            if !explanation.nameIsGone || query.lsn == nil {
                // The server keeps a name's stamp and deps to itself; its `pending` list
                // still names the deps an open intent covers.
                if !validity.pending.isEmpty {
                    try await explanation.readLog(client, deps: validity.pending, after: nil)
                }
                return explanation
            }
        }
        guard let lsn = query.lsn else {
            throw TidemarkClientError(.invalidArgument, "give --name, or --lsn with the stamp's deps")
        }
        let stamp = Stamp(epoch: query.epoch ?? hello.epoch, lsn: lsn)
        explanation.stamp = stamp
        explanation.deps = query.deps
        let validity = try await client.check(stamp: stamp, deps: query.deps)
        explanation.validity = validity
        guard validity.reason == .changed || validity.reason == .pending else { return explanation }
        try await explanation.readLog(client, deps: query.deps, after: lsn)
        return explanation
    }

    /// Reads the records that can explain `deps`: from `after + 1` for the changes, or
    /// from the oldest retained record when an open intent must be found (its `begin`
    /// may precede the stamp).
    private mutating func readLog(
        _ client: TidemarkClient, deps: [Dep], after: LSN?
    ) async throws(TidemarkClientError) {
        var seen = Set<String>()
        let tables = deps.map(\.table).filter { seen.insert($0).inserted }
        let needsIntents = !validity.pending.isEmpty
        var from: LSN? = needsIntents ? nil : after.map { $0 + 1 }
        var open: [String: OpenIntent] = [:]
        var causes: [Cause] = []
        var oldest: LSN?
        while true {
            let page: LogPage
            do {
                page = try await client.log(LogMethod.Params(from: from, limit: 1000, tables: tables))
            } catch let error where error.rpcError?.code == RPCError.Code.compacted {
                guard let first = error.rpcError?.data?["oldest"]?.uint64Value, first > (from ?? 0) else { throw error }
                oldest = first
                from = first
                continue
            }
            if oldest == nil { oldest = page.oldest }
            if let last = page.records.last, page.next <= last.lsn {
                throw TidemarkClientError(.invalidResponse, "a log page ending at lsn \(last.lsn) gave next \(page.next)")
            }
            for record in page.records {
                let covered = deps.filter { dep in record.changes.contains { $0.covers(dep) } }
                guard !covered.isEmpty else { continue }
                if let after, record.lsn > after, record.kind.advancesVersions {
                    causes.append(Cause(record: record, deps: covered))
                }
                guard let intent = record.intent else { continue }
                if record.kind == .begin {
                    open[intent] = OpenIntent(id: intent, begin: record, deps: covered)
                } else {
                    open[intent] = nil
                }
            }
            if page.records.isEmpty && from == page.next { break }
            if from == nil && page.records.isEmpty && page.next == page.oldest { break }
            from = page.next
        }
        self.oldest = oldest ?? self.oldest
        self.causes = causes
        let pending = validity.pending
        openIntents = open.values
            .filter { intent in intent.deps.contains { pending.contains($0) } }
            .sorted { $0.begin.lsn < $1.begin.lsn }
        pendingWithoutBegin = pending.filter { dep in !openIntents.contains { $0.deps.contains(dep) } }
        if let after, after + 1 < self.oldest, !validity.changed.isEmpty {
            compacted = (after + 1)...(self.oldest - 1)
            earliestRetained = validity.changed.map { changed in
                EarliestRetained(
                    dep: changed.dep, version: changed.version,
                    record: causes.first { $0.deps.contains(changed.dep) }?.record)
            }
        }
    }
}
