import Testing
@testable import TidemarkStore

/// A tiny reference implementation of BRIEF §2, written from the rules and not from the
/// store's code: versions per dep, open intents, and registered names.
private struct ReferenceModel {
    var lsn: LSN = 0
    var tableVersion: [String: LSN] = [:]
    var wideVersion: [String: LSN] = [:]
    var keyVersion: [Dep: LSN] = [:]
    var openIntents: [String: [Change]] = [:]
    var closedIntents: [String: IntentState] = [:]
    var names: [String: (stamp: Stamp, deps: [Dep])] = [:]

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
        openIntents.values.contains { changes in changes.contains { Self.touches($0, dep) } }
    }

    func validity(_ stamp: Stamp, _ deps: [Dep], epoch: Epoch) -> Validity {
        if stamp.epoch != epoch { return Validity(reason: .epoch) }
        if stamp.lsn > lsn { return Validity(reason: .future) }
        let changed = deps.filter { version($0) > stamp.lsn }.map { VersionedDep(dep: $0, version: version($0)) }
        let pending = deps.filter(isPending)
        let reason: InvalidReason? = !changed.isEmpty ? .changed : (!pending.isEmpty ? .pending : nil)
        return Validity(reason: reason, changed: changed, pending: pending)
    }

    /// Appends a record; for kinds that advance versions, advances them and returns the
    /// names it invalidated.
    mutating func append(_ changes: [Change], advancing: Bool) -> (lsn: LSN, invalidated: Set<String>) {
        lsn += 1
        guard advancing else { return (lsn, []) }
        for change in changes {
            tableVersion[change.table] = lsn
            if let keys = change.keys, !keys.isEmpty {
                for key in keys { keyVersion[Dep(table: change.table, key: key)] = lsn }
            } else {
                wideVersion[change.table] = lsn
            }
        }
        let invalidated = Set(names.filter { _, entry in
            entry.deps.contains { dep in changes.contains { Self.touches($0, dep) } }
        }.keys)
        for name in invalidated { names[name] = nil }
        return (lsn, invalidated)
    }

    mutating func register(_ name: String, _ stamp: Stamp, _ deps: [Dep], epoch: Epoch) -> Bool {
        names[name] = nil
        guard validity(stamp, deps, epoch: epoch).isValid else { return false }
        var unique: [Dep] = []
        for dep in deps where !unique.contains(dep) { unique.append(dep) }
        names[name] = (stamp, unique)
        return true
    }
}

@Suite("Model-based")
struct ModelTests {
    static let tables = ["a", "b", "c"]
    static let keys = ["1", "2", "3", "4"]

    private final class Driver {
        var generator: SeededGenerator
        var model = ReferenceModel()
        let fixture: StoreFixture

        init(generator: SeededGenerator, fixture: StoreFixture) {
            self.generator = generator
            self.fixture = fixture
        }

        var intentIDs: [String] = []
        var stamps: [Stamp] = []
        var nameCounter = 0
        var mismatches = 0

        func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }
        func chance(_ percent: Int) -> Bool { int(1...100) <= percent }

        func randomChange() -> Change {
            let table = ModelTests.tables.randomElement(using: &generator)!
            if chance(25) { return Change(table: table, keys: chance(50) ? nil : []) }
            let count = int(1...3)
            return Change(table: table, keys: (0..<count).map { _ in ModelTests.keys.randomElement(using: &generator)! })
        }

        func randomChanges() -> [Change] { (0..<int(1...3)).map { _ in randomChange() } }

        func randomDep() -> Dep {
            let table = ModelTests.tables.randomElement(using: &generator)!
            return chance(30) ? Dep(table: table) : Dep(table: table, key: ModelTests.keys.randomElement(using: &generator)!)
        }

        func randomDeps() -> [Dep] { (0..<int(0...4)).map { _ in randomDep() } }

        func randomStamp() -> Stamp {
            let epoch = fixture.epoch
            switch int(1...20) {
            case 1: return Stamp(epoch: Epoch(high: epoch.high, low: epoch.low &+ 1), lsn: model.lsn)
            case 2: return Stamp(epoch: epoch, lsn: model.lsn + LSN(int(1...3)))
            case 3...8: return Stamp(epoch: epoch, lsn: model.lsn)
            default:
                if let old = stamps.randomElement(using: &generator), chance(50) { return old }
                return Stamp(epoch: epoch, lsn: LSN(int(0...Int(model.lsn))))
            }
        }

        /// One random mutation as a request, with what the model expects it to answer.
        func randomRequest() -> (MutationRequest, expected: Expected) {
            switch int(1...100) {
            case 1...55:
                let changes = randomChanges()
                let (lsn, invalidated) = model.append(changes, advancing: true)
                return (MutationRequest(.write(changes: changes, meta: nil), peer: alice), .written(lsn, invalidated))
            case 56...65:
                let changes = randomChanges()
                let lsn = model.append(changes, advancing: false).lsn
                // Open at once for the rest of the batch; renamed to its id once known.
                model.openIntents[Self.placeholder(lsn)] = changes
                return (MutationRequest(.begin(changes: changes, lease: 1 << 40, meta: nil), peer: alice), .begun(lsn, changes))
            case 66...80 where !intentIDs.isEmpty:
                let id = intentIDs.randomElement(using: &generator)!
                let commit = chance(60)
                let mutation = commit ? Mutation.commit(intent: id) : .abort(intent: id)
                if let changes = model.openIntents[id] {
                    model.openIntents[id] = nil
                    model.closedIntents[id] = commit ? .committed : .aborted
                    let (lsn, invalidated) = model.append(changes, advancing: commit)
                    return (MutationRequest(mutation, peer: bob), commit ? .written(lsn, invalidated) : .aborted(lsn))
                }
                return (MutationRequest(mutation, peer: bob), .closed(model.closedIntents[id] ?? .unknown))
            case 81...95:
                nameCounter += 1
                let name = chance(30) && nameCounter > 1 ? "name\(int(0...nameCounter - 1))" : "name\(nameCounter)"
                let stamp = randomStamp()
                let deps = randomDeps()
                let registered = model.register(name, stamp, deps, epoch: fixture.epoch)
                return (
                    MutationRequest(.register(name: name, stamp: stamp, deps: deps, ttl: 1 << 40), peer: alice),
                    .registered(registered))
            default:
                let table = ModelTests.tables.randomElement(using: &generator)!
                let change = Change(table: table, keys: [""])
                return (MutationRequest(.write(changes: [change], meta: nil), peer: alice), .refused)
            }
        }

        static func placeholder(_ lsn: LSN) -> String { "begun-at-\(lsn)" }

        enum Expected {
            case written(LSN, Set<String>)
            case begun(LSN, [Change])
            case aborted(LSN)
            case closed(IntentState)
            case registered(Bool)
            case refused
        }

        func compare(_ outcome: Result<MutationOutcome, StoreError>, _ expected: Expected, step: Int) {
            switch (outcome, expected) {
            case (.success(.written(let lsn, let invalidated)), .written(let expectedLSN, let expectedNames)):
                check(lsn == expectedLSN && Set(invalidated) == expectedNames && invalidated.count == expectedNames.count,
                      "step \(step): written \(lsn) \(invalidated), expected \(expectedLSN) \(expectedNames)")
            case (.success(.begun(let id, let lsn, _)), .begun(let expectedLSN, let changes)):
                check(lsn == expectedLSN, "step \(step): begun at \(lsn), expected \(expectedLSN)")
                model.openIntents[Self.placeholder(expectedLSN)] = nil
                model.openIntents[id] = changes
                intentIDs.append(id)
            case (.success(.aborted(let lsn)), .aborted(let expectedLSN)):
                check(lsn == expectedLSN, "step \(step): aborted at \(lsn), expected \(expectedLSN)")
            case (.failure(let error), .closed(let state)):
                check(error.code == .unknownIntent && error.intentState == state,
                      "step \(step): \(error.code) \(String(describing: error.intentState)), expected \(state)")
            case (.success(.registered(let registered, let valid)), .registered(let expected)):
                check(registered == expected && valid == expected, "step \(step): registered \(registered), expected \(expected)")
            case (.failure(let error), .refused):
                check(error.code == .invalidArgument, "step \(step): \(error)")
            default:
                check(false, "step \(step): got \(outcome), expected \(expected)")
            }
        }

        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            guard !condition else { return }
            mismatches += 1
            if mismatches <= 10 { Issue.record(Comment(rawValue: message())) }
        }

        /// Compares the store's answers to stamps and checks with the model's.
        func probe(step: Int) throws {
            let deps = randomDeps()
            let result = try fixture.store.stamp(deps)
            check(result.lsn == model.lsn, "step \(step): lsn \(result.lsn), model \(model.lsn)")
            check(result.versions == deps.map(model.version), "step \(step): versions of \(deps): \(result.versions), model \(deps.map(model.version))")
            check(result.cacheable == !deps.contains(where: model.isPending), "step \(step): cacheable of \(deps)")
            stamps.append(Stamp(epoch: result.epoch, lsn: result.lsn))

            var queries: [CheckQuery] = []
            var expected: [Validity] = []
            for _ in 0..<int(1...4) {
                if chance(70) {
                    let stamp = randomStamp()
                    let deps = randomDeps()
                    queries.append(.stamp(stamp, deps: deps))
                    expected.append(model.validity(stamp, deps, epoch: fixture.epoch))
                } else {
                    let name = "name\(int(0...max(nameCounter, 1)))"
                    queries.append(.name(name))
                    if let entry = model.names[name] {
                        expected.append(model.validity(entry.stamp, entry.deps, epoch: fixture.epoch))
                    } else {
                        expected.append(Validity(reason: .unknown))
                    }
                }
            }
            let answers = try fixture.store.check(queries)
            for (index, answer) in answers.enumerated() where answer != expected[index] {
                check(false, "step \(step): \(queries[index]) answered \(answer), model \(expected[index])")
            }
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theStoreAgreesWithTheReferenceModel(seed: UInt64) throws {
        let fixture = try StoreFixture()
        let driver = Driver(generator: SeededGenerator(seed: seed), fixture: fixture)
        var step = 0
        while step < 1_500 {
            let size = driver.int(1...4)
            var requests: [MutationRequest] = []
            var expectations: [Driver.Expected] = []
            for _ in 0..<size {
                let (request, expected) = driver.randomRequest()
                requests.append(request)
                expectations.append(expected)
            }
            let batch = try fixture.store.apply(requests)
            try #require(batch.outcomes.count == size)
            for (outcome, expected) in zip(batch.outcomes, expectations) {
                step += 1
                driver.compare(outcome, expected, step: step)
            }
            if driver.chance(60) { try driver.probe(step: step) }
            if driver.mismatches > 10 { break }
        }
        #expect(driver.mismatches == 0, "seed \(seed)")
        #expect(try fixture.lsn == driver.model.lsn)

        // Final sweep: every dep of the universe, and every name.
        var all: [Dep] = []
        for table in Self.tables {
            all.append(Dep(table: table))
            for key in Self.keys + ["never"] { all.append(Dep(table: table, key: key)) }
        }
        let final = try fixture.store.stamp(all)
        #expect(final.versions == all.map(driver.model.version))
        for (name, entry) in driver.model.names {
            #expect(try fixture.check(name: name) == driver.model.validity(entry.stamp, entry.deps, epoch: fixture.epoch))
        }
        #expect(try fixture.store.statistics().names == driver.model.names.count)
        #expect(try fixture.store.statistics().openIntents == driver.model.openIntents.count)
        // Every LSN names exactly one record.
        var lsns: [LSN] = []
        var from: LSN? = nil
        // Bounded, so a `next` that fails to advance ends the test instead of hanging it.
        for _ in 0...(Int(driver.model.lsn) / 500 + 1) {
            let page = try fixture.log(from: from, limit: 500)
            if page.records.isEmpty { break }
            lsns += page.records.map(\.lsn)
            from = page.next
        }
        #expect(lsns == Array(1...driver.model.lsn))
    }
}
