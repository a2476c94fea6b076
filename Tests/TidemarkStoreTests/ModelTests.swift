import Testing
@testable import TidemarkStore
import TidemarkTestSupport

/// A tiny reference implementation of BRIEF §2 and PROTOCOL §9–§11, written from the rules
/// and not from the store's code: versions per dep, intents with leases, names with TTLs,
/// and the wall clock they run on.
///
/// Time rules it follows: a batch runs at one `now`. Before a batch's own requests, every
/// open intent with `expiresAt <= now` is expired, in order of (expiresAt, id), each with
/// an `expire` record in the name of the peer that began it, advancing versions like a
/// commit and dropping names. A `housekeeping` request expires what is still due, purges
/// up to `purgeBatch` names with `expiresAt <= now` and forgets up to `purgeBatch` intents
/// closed at least `retention` ago. Reads do not expire anything.
private struct ReferenceModel {
    struct OpenIntent {
        var changes: [Change]
        var meta: [UInt8]?
        var peer: Peer
        var beginLSN: LSN
        var expiresAt: Milliseconds
    }

    struct ClosedIntent {
        var state: IntentState
        var intent: OpenIntent
        var closedAt: Milliseconds
        var forgetAt: Milliseconds
    }

    struct Name {
        var stamp: Stamp
        var deps: [Dep]
        var expiresAt: Milliseconds
    }

    struct ExpectedRecord {
        var record: Record
        var invalidated: Set<String>
    }

    enum Expected {
        case written(LSN, Set<String>)
        case begun(LSN, expiresAt: Milliseconds)
        case aborted(LSN)
        case closed(IntentState)
        case registered(Bool)
        case housekept(expired: Int, purged: Int, forgotten: Int)
        case refused
    }

    /// What the batch being simulated has done so far.
    private struct Batch {
        var records: [ExpectedRecord] = []
        var expired = 0
    }

    let epoch: Epoch
    let retention: Milliseconds
    let purgeBatch: Int
    var now: Milliseconds
    var lsn: LSN = 0
    var tableVersion: [String: LSN] = [:]
    var wideVersion: [String: LSN] = [:]
    var keyVersion: [Dep: LSN] = [:]
    var open: [String: OpenIntent] = [:]
    var closed: [String: ClosedIntent] = [:]
    var names: [String: Name] = [:]

    init(epoch: Epoch, now: Milliseconds, retention: Milliseconds, purgeBatch: Int) {
        self.epoch = epoch
        self.now = now
        self.retention = retention
        self.purgeBatch = purgeBatch
    }

    // MARK: Reads

    /// Whether advancing `change` advances `ver(dep)`.
    static func touches(_ change: Change, _ dep: Dep) -> Bool {
        guard change.table == dep.table else { return false }
        guard let key = dep.key, let keys = change.keys, !keys.isEmpty else { return true }
        return keys.contains(key)
    }

    func version(_ dep: Dep) -> LSN {
        guard let key = dep.key else { return tableVersion[dep.table] ?? 0 }
        let named = keyVersion[Dep(table: dep.table, key: key)] ?? 0
        return max(named, wideVersion[dep.table] ?? 0)
    }

    func isPending(_ dep: Dep) -> Bool {
        open.values.contains { intent in intent.changes.contains { Self.touches($0, dep) } }
    }

    func validity(_ stamp: Stamp, _ deps: [Dep]) -> Validity {
        if stamp.epoch != epoch { return Validity(reason: .epoch) }
        if stamp.lsn > lsn { return Validity(reason: .future) }
        let changed = deps.filter { version($0) > stamp.lsn }.map { VersionedDep(dep: $0, version: version($0)) }
        let pending = deps.filter(isPending)
        let reason: InvalidReason? = !changed.isEmpty ? .changed : (!pending.isEmpty ? .pending : nil)
        return Validity(reason: reason, changed: changed, pending: pending)
    }

    /// `check {name}`: unknown when not stored, expired once its TTL ran out (until a
    /// housekeeping pass purges it), else the stored stamp judged now.
    func validity(ofName name: String) -> Validity {
        guard let entry = names[name] else { return Validity(reason: .unknown) }
        guard entry.expiresAt > now else { return Validity(reason: .expired) }
        return validity(entry.stamp, entry.deps)
    }

    /// The intent as `LMDBStore.intent(_:)` should report it; nil once forgotten or never begun.
    func intent(_ id: String) -> Intent? {
        if let intent = open[id] {
            return Intent(
                id: id, state: .open, changes: intent.changes, meta: intent.meta, peer: intent.peer,
                beginLSN: intent.beginLSN, expiresAt: intent.expiresAt)
        }
        if let closed = closed[id] {
            return Intent(
                id: id, state: closed.state, changes: closed.intent.changes, meta: closed.intent.meta,
                peer: closed.intent.peer, beginLSN: closed.intent.beginLSN, expiresAt: closed.intent.expiresAt,
                closedAt: closed.closedAt)
        }
        return nil
    }

    func namedEntry(_ name: String) -> NamedEntry? {
        names[name].map { NamedEntry(name: name, stamp: $0.stamp, deps: $0.deps, expiresAt: $0.expiresAt) }
    }

    /// The earliest lease end or name expiry still pending: what housekeeping waits for.
    var nextHousekeeping: Milliseconds? {
        (open.values.map(\.expiresAt) + names.values.map(\.expiresAt)).min()
    }

    /// The earliest future time at which something changes (a lease, a TTL, a forgetting).
    var nextDeadline: Milliseconds? {
        (open.values.map(\.expiresAt) + names.values.map(\.expiresAt) + closed.values.map(\.forgetAt))
            .filter { $0 > now }.min()
    }

    /// `now + duration`, saturating like the store.
    func deadline(after duration: Milliseconds) -> Milliseconds {
        let (sum, overflow) = now.addingReportingOverflow(duration)
        return overflow ? .max : sum
    }

    /// The order of an expiry index: by time, then by the id's bytes.
    static func dueOrder(_ lhs: (time: Milliseconds, id: String), _ rhs: (time: Milliseconds, id: String)) -> Bool {
        lhs.time != rhs.time ? lhs.time < rhs.time : lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
    }

    static func isValid(_ changes: [Change]) -> Bool {
        !changes.isEmpty && changes.allSatisfy { !$0.table.isEmpty && ($0.keys ?? []).allSatisfy { !$0.isEmpty } }
    }

    static func isValid(_ deps: [Dep]) -> Bool {
        deps.allSatisfy { !$0.table.isEmpty && $0.key.map { !$0.isEmpty } ?? true }
    }

    // MARK: Mutations

    /// Simulates one batch applied at `now`. `beginIDs[i]` is the id the store gave the
    /// `begin` at index `i` (ids are random, so the model learns them from the store).
    mutating func apply(
        _ requests: [MutationRequest], beginIDs: [String?]
    ) -> (outcomes: [Expected], records: [ExpectedRecord]) {
        var batch = Batch()
        expireDueIntents(&batch, limit: .max)
        var outcomes: [Expected] = []
        for (index, request) in requests.enumerated() {
            outcomes.append(apply(request, id: beginIDs[index] ?? "unanswered-begin-\(index)", &batch))
        }
        return (outcomes, batch.records)
    }

    private mutating func apply(_ request: MutationRequest, id beginID: String, _ batch: inout Batch) -> Expected {
        switch request.mutation {
        case .write(let changes, let meta):
            guard Self.isValid(changes) else { return .refused }
            let (lsn, invalidated) = append(.write, changes, intent: nil, meta: meta, peer: request.peer, &batch)
            return .written(lsn, invalidated)
        case .begin(let changes, let lease, let meta):
            guard Self.isValid(changes) else { return .refused }
            let lsn = append(.begin, changes, intent: beginID, meta: meta, peer: request.peer, &batch).lsn
            let expiresAt = deadline(after: lease)
            open[beginID] = OpenIntent(changes: changes, meta: meta, peer: request.peer, beginLSN: lsn, expiresAt: expiresAt)
            return .begun(lsn, expiresAt: expiresAt)
        case .commit(let id), .abort(let id):
            let isCommit = if case .commit = request.mutation { true } else { false }
            guard open[id] != nil else { return .closed(closed[id]?.state ?? .unknown) }
            let (lsn, invalidated) = close(id, as: isCommit ? .commit : .abort, peer: request.peer, &batch)
            return isCommit ? .written(lsn, invalidated) : .aborted(lsn)
        case .register(let name, let stamp, let deps, let ttl):
            guard !name.isEmpty, Self.isValid(deps) else { return .refused }
            names[name] = nil
            guard validity(stamp, deps).isValid else { return .registered(false) }
            var unique: [Dep] = []
            for dep in deps where !unique.contains(dep) { unique.append(dep) }
            names[name] = Name(stamp: stamp, deps: unique, expiresAt: deadline(after: ttl))
            return .registered(true)
        case .compact, .saveActivity, .sourcedWrite:
            fatalError("the model neither compacts, saves activity nor writes from sources")
        case .housekeeping:
            expireDueIntents(&batch, limit: purgeBatch)
            let dueNames = names.filter { $0.value.expiresAt <= now }
                .map { (time: $0.value.expiresAt, id: $0.key) }.sorted(by: Self.dueOrder).prefix(purgeBatch)
            for entry in dueNames { names[entry.id] = nil }
            let forgotten = closed.filter { $0.value.forgetAt <= now }
                .map { (time: $0.value.forgetAt, id: $0.key) }.sorted(by: Self.dueOrder).prefix(purgeBatch)
            for entry in forgotten { closed[entry.id] = nil }
            return .housekept(expired: batch.expired, purged: dueNames.count, forgotten: forgotten.count)
        }
    }

    private mutating func expireDueIntents(_ batch: inout Batch, limit: Int) {
        let due = open.filter { $0.value.expiresAt <= now }
            .map { (time: $0.value.expiresAt, id: $0.key) }.sorted(by: Self.dueOrder).prefix(limit)
        for entry in due {
            _ = close(entry.id, as: .expire, peer: open[entry.id]!.peer, &batch)
            batch.expired += 1
        }
    }

    private mutating func close(
        _ id: String, as kind: RecordKind, peer: Peer, _ batch: inout Batch
    ) -> (lsn: LSN, invalidated: Set<String>) {
        let intent = open.removeValue(forKey: id)!
        let state: IntentState = switch kind {
        case .commit: .committed
        case .abort: .aborted
        default: .expired
        }
        closed[id] = ClosedIntent(state: state, intent: intent, closedAt: now, forgetAt: now + retention)
        return append(kind, intent.changes, intent: id, meta: intent.meta, peer: peer, &batch)
    }

    /// Appends a record; for kinds that advance versions, advances them and drops the names
    /// (expired or not, until purged) that depend on something advanced.
    private mutating func append(
        _ kind: RecordKind, _ changes: [Change], intent: String?, meta: [UInt8]?, peer: Peer, _ batch: inout Batch
    ) -> (lsn: LSN, invalidated: Set<String>) {
        lsn += 1
        var invalidated = Set<String>()
        if kind.advancesVersions {
            for change in changes {
                tableVersion[change.table] = lsn
                if let keys = change.keys, !keys.isEmpty {
                    for key in keys { keyVersion[Dep(table: change.table, key: key)] = lsn }
                } else {
                    wideVersion[change.table] = lsn
                }
            }
            invalidated = Set(names.filter { _, entry in
                entry.deps.contains { dep in changes.contains { Self.touches($0, dep) } }
            }.keys)
            for name in invalidated { names[name] = nil }
        }
        let record = Record(lsn: lsn, time: now, kind: kind, changes: changes, intent: intent, meta: meta, peer: peer)
        batch.records.append(ExpectedRecord(record: record, invalidated: invalidated))
        return (lsn, invalidated)
    }
}

@Suite("Model-based")
struct ModelTests {
    /// "a" and "ab" share a first byte, so a table-prefix scan that overreaches shows.
    static let tables = ["a", "ab", "b"]
    static let keys = ["1", "2", "3", "4", "5", "6"]
    static let peers = [alice, bob, Peer(pid: 303, uid: 1002, gid: 102)]
    static let steps = 2_500

    /// Seed 1 runs with the default retention and purge batch; the others with a short
    /// retention (closed intents get forgotten) and a tiny purge batch (passes are capped).
    static func options(seed: UInt64) -> LMDBStore.Options {
        var options = StoreFixture.fastOptions
        if seed != 1 {
            options.purgeBatch = Int(seed)
            options.closedIntentRetention = 20_000
        }
        return options
    }

    private final class Driver {
        let seed: UInt64
        var generator: SeededGenerator
        var model: ReferenceModel
        let fixture: StoreFixture

        var step = 0
        var intentIDs: [String] = []
        var stamps: [Stamp] = []
        var nameCounter = 0
        var mismatches = 0
        /// Every record the model expects in the log, in LSN order.
        var expectedLog: [Record] = []
        /// How often each interesting case came up, so a generator that drifts away from
        /// one fails the test instead of silently covering less.
        var coverage: [String: Int] = [:]

        func saw(_ what: String, _ condition: Bool = true) {
            if condition { coverage[what, default: 0] += 1 }
        }

        init(seed: UInt64, fixture: StoreFixture) {
            self.seed = seed
            self.generator = SeededGenerator(seed: seed)
            self.fixture = fixture
            model = ReferenceModel(
                epoch: fixture.epoch, now: fixture.clock.value,
                retention: fixture.options.closedIntentRetention, purgeBatch: fixture.options.purgeBatch)
        }

        func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }
        func ms(_ range: ClosedRange<Int>) -> Milliseconds { Milliseconds(int(range)) }
        func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
        func pick<T>(_ elements: [T]) -> T { elements.randomElement(using: &generator)! }

        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            guard !condition else { return }
            mismatches += 1
            if mismatches <= 10 { Issue.record(Comment(rawValue: "seed \(seed) step \(step): \(message())")) }
        }

        // MARK: Time

        /// Moves the wall clock: often not at all or a little, sometimes by seconds, now and
        /// then far past every lease and TTL, or exactly onto (or 1 ms before) the next deadline.
        func advanceClock() {
            let delta: Milliseconds
            switch int(1...20) {
            case 1...7: delta = 0
            case 8...14: delta = ms(1...1_500)
            case 15...17: delta = ms(1_500...6_000)
            case 18: delta = ms(6_000...40_000)
            default:
                guard let next = model.nextDeadline else { return }
                delta = next - model.now - (chance(50) ? 0 : 1)
            }
            fixture.clock.advance(by: delta)
            model.now += delta
            check(fixture.clock.value == model.now, "clock \(fixture.clock.value), model \(model.now)")
        }

        // MARK: Generation

        func randomChange() -> Change {
            let table = pick(ModelTests.tables)
            if chance(15) { return Change(table: table, keys: chance(50) ? nil : []) }
            return Change(table: table, keys: (0..<int(1...2)).map { _ in pick(ModelTests.keys) })
        }

        func randomChanges() -> [Change] { (0..<int(1...3)).map { _ in randomChange() } }

        func randomDep() -> Dep {
            let table = pick(ModelTests.tables)
            return chance(30) ? Dep(table: table) : Dep(table: table, key: pick(ModelTests.keys))
        }

        func randomDeps() -> [Dep] { (0..<int(0...4)).map { _ in randomDep() } }

        func randomStamp() -> Stamp {
            let epoch = fixture.epoch
            switch int(1...20) {
            case 1: return Stamp(epoch: Epoch(high: epoch.high, low: epoch.low &+ 1), lsn: model.lsn)
            case 2: return Stamp(epoch: epoch, lsn: model.lsn + LSN(int(1...3)))
            case 3...8: return Stamp(epoch: epoch, lsn: model.lsn)
            default:
                if !stamps.isEmpty, chance(50) { return pick(stamps) }
                return Stamp(epoch: epoch, lsn: LSN(int(0...Int(model.lsn))))
            }
        }

        func randomMeta() -> [UInt8]? { chance(40) ? Array("{\"step\":\(step)}".utf8) : nil }

        /// Short leases mostly, so that they end within a few clock moves; some long ones.
        func randomLease() -> Milliseconds {
            switch int(1...10) {
            case 1...3: ms(1...500)
            case 4...7: ms(500...6_000)
            case 8...9: ms(6_000...60_000)
            default: 600_000
            }
        }

        func randomTTL() -> Milliseconds {
            switch int(1...10) {
            case 1...3: ms(1...1_000)
            case 4...7: ms(1_000...8_000)
            case 8...9: ms(8_000...60_000)
            default: 3_600_000
            }
        }

        func randomName() -> String { "name\(int(0...max(nameCounter, 1)))" }

        /// An intent id: mostly an open one, else any id ever handed out, else one never issued.
        /// Picked by position in begin order, never by the (random) id's value, so a seed
        /// always makes the same requests.
        func randomIntentID() -> String {
            let openIDs = intentIDs.filter { model.open[$0] != nil }
            if !openIDs.isEmpty, chance(65) { return pick(openIDs) }
            if !intentIDs.isEmpty, chance(85) { return pick(intentIDs) }
            return pick(["", "nope", String(repeating: "0", count: 32)])
        }

        func randomRequest() -> MutationRequest {
            let peer = pick(ModelTests.peers)
            switch int(1...100) {
            case 1...30:
                return MutationRequest(.write(changes: randomChanges(), meta: randomMeta()), peer: peer)
            case 31...44:
                return MutationRequest(.begin(changes: randomChanges(), lease: randomLease(), meta: randomMeta()), peer: peer)
            case 45...58:
                let id = randomIntentID()
                return MutationRequest(chance(60) ? .commit(intent: id) : .abort(intent: id), peer: peer)
            case 59...85:
                nameCounter += 1
                let name = chance(30) && nameCounter > 1 ? "name\(int(0...nameCounter - 1))" : "name\(nameCounter)"
                // Mostly a stamp taken just before the batch, so that many registrations succeed.
                let stamp = chance(60) ? Stamp(epoch: fixture.epoch, lsn: model.lsn) : randomStamp()
                return MutationRequest(
                    .register(name: name, stamp: stamp, deps: randomDeps(), ttl: randomTTL()), peer: peer)
            case 86...94:
                return MutationRequest(.housekeeping, peer: peer)
            default:
                let table = pick(ModelTests.tables)
                let mutation: Mutation = switch int(1...5) {
                case 1: .write(changes: [Change(table: table, keys: [""])], meta: nil)
                case 2: .write(changes: [Change(table: "", keys: ["1"])], meta: nil)
                case 3: .begin(changes: [], lease: randomLease(), meta: nil)
                case 4: .register(name: "", stamp: randomStamp(), deps: [], ttl: randomTTL())
                default: .register(name: randomName(), stamp: randomStamp(), deps: [Dep(table: table, key: "")], ttl: 1)
                }
                return MutationRequest(mutation, peer: peer)
            }
        }

        // MARK: Comparison

        func matches(_ outcome: Result<MutationOutcome, StoreError>, _ expected: ReferenceModel.Expected) -> Bool {
            switch (outcome, expected) {
            case (.success(.written(let lsn, let invalidated)), .written(let expectedLSN, let expectedNames)):
                return lsn == expectedLSN && Set(invalidated) == expectedNames && invalidated.count == expectedNames.count
            case (.success(.begun(_, let lsn, let expiresAt)), .begun(let expectedLSN, let expectedExpiry)):
                return lsn == expectedLSN && expiresAt == expectedExpiry
            case (.success(.aborted(let lsn)), .aborted(let expectedLSN)):
                return lsn == expectedLSN
            case (.failure(let error), .closed(let state)):
                return error.code == .unknownIntent && error.intentState == state
            case (.success(.registered(let registered, let valid)), .registered(let expected)):
                return registered == expected && valid == expected
            case (.success(.housekept(let expired, let purged, let forgotten)), .housekept(let e, let p, let f)):
                return expired == e && purged == p && forgotten == f
            case (.failure(let error), .refused):
                return error.code == .invalidArgument
            default:
                return false
            }
        }

        /// One batch: random requests at the current time, applied to the store and the
        /// model; every outcome and every record (expiries included) must agree.
        func runBatch() throws {
            let requests = (0..<int(1...4)).map { _ in randomRequest() }
            let batch = try fixture.store.apply(requests)
            try #require(batch.outcomes.count == requests.count, "seed \(seed) step \(step)")
            let beginIDs: [String?] = batch.outcomes.map {
                if case .success(.begun(let id, _, _)) = $0 { id } else { nil }
            }
            intentIDs += beginIDs.compactMap { $0 }
            let (expectedOutcomes, expectedRecords) = model.apply(requests, beginIDs: beginIDs)
            for (index, outcome) in batch.outcomes.enumerated() {
                step += 1
                switch expectedOutcomes[index] {
                case .closed(let state): saw("close refused as \(state)")
                case .written(_, let names): saw("write or commit invalidating names", !names.isEmpty)
                case .registered(let registered): saw(registered ? "registered" : "register refused")
                case .housekept(let expired, let purged, let forgotten):
                    saw("housekeeping expired intents", expired > 0)
                    saw("housekeeping purged names", purged > 0)
                    saw("housekeeping forgot intents", forgotten > 0)
                default: break
                }
                check(matches(outcome, expectedOutcomes[index]),
                      "\(requests[index].mutation) answered \(outcome), model \(expectedOutcomes[index])")
            }
            check(batch.records.count == expectedRecords.count,
                  "batch appended \(batch.records.map(\.record.kind)), model \(expectedRecords.map(\.record.kind))")
            for (actual, expected) in zip(batch.records, expectedRecords) {
                check(actual.record == expected.record, "record \(actual.record), model \(expected.record)")
                check(Set(actual.invalidated) == expected.invalidated && actual.invalidated.count == expected.invalidated.count,
                      "record \(actual.record.lsn) (\(actual.record.kind)) invalidated \(actual.invalidated), model \(expected.invalidated.sorted())")
            }
            expectedLog += expectedRecords.map(\.record)
            for expected in expectedRecords where expected.record.kind == .expire {
                saw("expire record")
                saw("expire invalidating names", !expected.invalidated.isEmpty)
                saw("expire of a wide intent", expected.record.changes.contains(where: \.isWide))
            }
        }

        /// Compares the store's reads (stamps, checks, intents, names, timers) with the model's.
        func probe() throws {
            let deps = randomDeps()
            let result = try fixture.store.stamp(deps)
            check(result.lsn == model.lsn, "lsn \(result.lsn), model \(model.lsn)")
            check(result.versions == deps.map(model.version), "versions of \(deps): \(result.versions), model \(deps.map(model.version))")
            check(result.cacheable == !deps.contains(where: model.isPending), "cacheable of \(deps)")
            stamps.append(Stamp(epoch: result.epoch, lsn: result.lsn))

            var queries: [CheckQuery] = []
            var expected: [Validity] = []
            for _ in 0..<int(1...4) {
                if chance(60) {
                    let stamp = randomStamp()
                    let deps = randomDeps()
                    queries.append(.stamp(stamp, deps: deps))
                    expected.append(model.validity(stamp, deps))
                } else {
                    let stored = model.names.keys.sorted()
                    let name = !stored.isEmpty && chance(60) ? pick(stored) : randomName()
                    queries.append(.name(name))
                    expected.append(model.validity(ofName: name))
                }
            }
            for (query, validity) in zip(queries, expected) {
                if case .name = query { saw("name check answering \(validity.reason.map { "\($0)" } ?? "valid")") }
                else { saw("stamp check answering \(validity.reason.map { "\($0)" } ?? "valid")") }
            }
            saw("intent past its lease still open (reads do not expire)", model.open.values.contains { $0.expiresAt <= model.now })
            let answers = try fixture.store.check(queries)
            for (index, answer) in answers.enumerated() where answer != expected[index] {
                check(false, "\(queries[index]) answered \(answer), model \(expected[index]) at \(model.now)")
            }

            let next = try fixture.store.nextHousekeeping()
            check(next == model.nextHousekeeping, "next housekeeping \(String(describing: next)), model \(String(describing: model.nextHousekeeping))")
            if !intentIDs.isEmpty {
                let id = pick(intentIDs)
                let intent = try fixture.store.intent(id)
                check(intent == model.intent(id), "intent \(id): \(String(describing: intent)), model \(String(describing: model.intent(id)))")
            }
            let name = randomName()
            let entry = try fixture.store.namedEntry(name)
            check(entry == model.namedEntry(name), "entry \(name): \(String(describing: entry)), model \(String(describing: model.namedEntry(name)))")
            if chance(20) {
                let statistics = try fixture.store.statistics()
                check(statistics.openIntents == model.open.count && statistics.names == model.names.count,
                      "\(statistics.openIntents) open intents, \(statistics.names) names; model \(model.open.count), \(model.names.count)")
            }
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theStoreAgreesWithTheReferenceModel(seed: UInt64) throws {
        let fixture = try StoreFixture(options: Self.options(seed: seed))
        let driver = Driver(seed: seed, fixture: fixture)
        while driver.step < Self.steps {
            driver.advanceClock()
            try driver.runBatch()
            if driver.chance(30) { driver.advanceClock() }
            if driver.chance(60) { try driver.probe() }
            if driver.mismatches > 10 { break }
        }
        #expect(driver.mismatches == 0, "seed \(seed) step \(driver.step) (final)")
        var mustSee = [
            "expire record", "expire invalidating names", "expire of a wide intent", "close refused as expired",
            "close refused as committed", "close refused as aborted", "close refused as unknown",
            "write or commit invalidating names", "registered", "register refused",
            "housekeeping purged names", "name check answering expired", "name check answering unknown",
            "name check answering valid", "name check answering pending", "stamp check answering changed",
            "stamp check answering pending", "intent past its lease still open (reads do not expire)",
        ]
        if seed != 1 { mustSee.append("housekeeping forgot intents") }
        for what in mustSee {
            #expect(driver.coverage[what, default: 0] > 0, "seed \(seed) step \(driver.step) (final): never saw \(what)")
        }
        #expect(try fixture.lsn == driver.model.lsn, "seed \(seed) step \(driver.step) (final)")

        // Final sweep: every dep of the universe, and every name.
        var all: [Dep] = []
        for table in Self.tables {
            all.append(Dep(table: table))
            for key in Self.keys + ["never"] { all.append(Dep(table: table, key: key)) }
        }
        let final = try fixture.store.stamp(all)
        #expect(final.versions == all.map(driver.model.version), "seed \(seed) step \(driver.step) (final)")
        #expect(final.cacheable == !all.contains(where: driver.model.isPending), "seed \(seed) step \(driver.step) (final)")
        for name in driver.model.names.keys.sorted() {
            #expect(try fixture.check(name: name) == driver.model.validity(ofName: name), "seed \(seed) step \(driver.step) (final) name \(name)")
        }
        #expect(try fixture.store.statistics().names == driver.model.names.count, "seed \(seed) step \(driver.step) (final)")
        #expect(try fixture.store.statistics().openIntents == driver.model.open.count, "seed \(seed) step \(driver.step) (final)")

        // Let every lease, TTL and retention run out (twice: intents expired by the first
        // pass are forgotten only after the second jump); housekeeping passes empty the
        // store's timers in as many passes as the purge batch needs, as the model says.
        for _ in 0..<2 {
            driver.step += 1
            fixture.clock.advance(by: 10_000_000)
            driver.model.now += 10_000_000
            for _ in 0..<1_000 {
                let model = driver.model
                let due = model.open.values.contains { $0.expiresAt <= model.now }
                    || model.names.values.contains { $0.expiresAt <= model.now }
                    || model.closed.values.contains { $0.forgetAt <= model.now }
                guard due else { break }
                let requests = [MutationRequest(.housekeeping, peer: bob)]
                let batch = try fixture.store.apply(requests)
                let (expected, records) = driver.model.apply(requests, beginIDs: [nil])
                #expect(driver.matches(batch.outcomes[0], expected[0]), "seed \(seed) step \(driver.step) (final): \(batch.outcomes[0]), model \(expected[0])")
                #expect(batch.records.map(\.record) == records.map(\.record), "seed \(seed) step \(driver.step) (final): final expiries")
                driver.expectedLog += records.map(\.record)
            }
        }
        #expect(driver.model.open.isEmpty && driver.model.names.isEmpty && driver.model.closed.isEmpty, "seed \(seed) step \(driver.step) (final)")
        #expect(try fixture.store.statistics().openIntents == 0, "seed \(seed) step \(driver.step) (final)")
        #expect(try fixture.store.statistics().names == 0, "seed \(seed) step \(driver.step) (final)")
        #expect(try fixture.store.nextHousekeeping() == nil, "seed \(seed) step \(driver.step) (final)")
        for id in driver.intentIDs.prefix(20) {
            #expect(try fixture.store.intent(id) == nil, "seed \(seed) step \(driver.step) (final): intent \(id) not forgotten")
        }

        // Every LSN names exactly one record, and each is the one the model predicted.
        var records: [Record] = []
        var from: LSN? = nil
        // Bounded, so a `next` that fails to advance ends the test instead of hanging it.
        for _ in 0...(Int(driver.model.lsn) / 500 + 1) {
            let page = try fixture.log(from: from, limit: 500)
            if page.records.isEmpty { break }
            records += page.records
            from = page.next
        }
        #expect(records.map(\.lsn) == Array(1...driver.model.lsn), "seed \(seed) step \(driver.step) (final)")
        let firstDifference = zip(records, driver.expectedLog).first { $0 != $1 }
        #expect(firstDifference == nil, "seed \(seed) step \(driver.step) (final): log \(String(describing: firstDifference?.0)), model \(String(describing: firstDifference?.1))")
        #expect(records.count == driver.expectedLog.count, "seed \(seed) step \(driver.step) (final)")
    }
}
