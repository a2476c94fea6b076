import Foundation
import Synchronization
import Testing
@testable import TidemarkStore

/// Wall time that only moves when a test says so.
final class ManualClock: Sendable {
    private let now: Mutex<Milliseconds>

    init(_ start: Milliseconds = 1_700_000_000_000) {
        now = Mutex(start)
    }

    var value: Milliseconds { now.withLock { $0 } }

    func advance(by milliseconds: Milliseconds) {
        now.withLock { $0 += milliseconds }
    }

    var function: @Sendable () -> Milliseconds { { self.value } }
}

/// A unique path under the temporary directory; nothing is created there.
func temporaryPath(_ label: String = "store") -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("tidemark-\(label)-\(UUID().uuidString)").path
}

let alice = Peer(pid: 101, uid: 1000, gid: 100)
let bob = Peer(pid: 202, uid: 1001, gid: 101)

func keyed(_ table: String, _ keys: String...) -> Change { Change(table: table, keys: keys) }
func wide(_ table: String) -> Change { Change(table: table) }
func dep(_ table: String, _ key: String? = nil) -> Dep { Dep(table: table, key: key) }

/// One store in its own data directory with a manual clock; the directory is removed when
/// the fixture goes away.
final class StoreFixture {
    let path: String
    let clock: ManualClock
    let options: LMDBStore.Options
    private(set) var store: LMDBStore!

    init(path: String = temporaryPath(), options: LMDBStore.Options = StoreFixture.fastOptions, clock: ManualClock = ManualClock()) throws {
        self.path = path
        self.options = options
        self.clock = clock
        store = try LMDBStore(path: path, options: options, clock: clock.function)
    }

    /// Small map, no fsync: fast and enough for everything but the durability tests.
    static var fastOptions: LMDBStore.Options {
        var options = LMDBStore.Options()
        options.mapSize = 64 << 20
        options.durable = false
        return options
    }

    deinit {
        store = nil
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Closes the store, leaving the directory in place.
    func close() {
        store = nil
    }

    /// Closes the store and opens the same directory again.
    func reopen() throws {
        store = nil
        store = try LMDBStore(path: path, options: options, clock: clock.function)
    }

    var epoch: Epoch { store.epoch }

    // MARK: Mutations

    /// Applies one mutation and returns its outcome, success or refusal.
    func outcome(_ mutation: Mutation, peer: Peer = alice) throws -> Result<MutationOutcome, StoreError> {
        let batch = try store.apply([MutationRequest(mutation, peer: peer)])
        try #require(batch.outcomes.count == 1)
        return batch.outcomes[0]
    }

    /// Applies one mutation that must succeed.
    @discardableResult
    func apply(_ mutation: Mutation, peer: Peer = alice) throws -> MutationOutcome {
        try outcome(mutation, peer: peer).get()
    }

    /// Applies one mutation that must be refused, and returns the error.
    func refusal(_ mutation: Mutation, peer: Peer = alice) throws -> StoreError {
        switch try outcome(mutation, peer: peer) {
        case .success(let outcome):
            Issue.record("expected a refusal, got \(outcome)")
            throw StoreError(.io, "unexpected success")
        case .failure(let error):
            return error
        }
    }

    @discardableResult
    func write(_ changes: [Change], meta: [UInt8]? = nil, peer: Peer = alice) throws -> (lsn: LSN, invalidated: [String]) {
        guard case .written(let lsn, let invalidated) = try apply(.write(changes: changes, meta: meta), peer: peer) else {
            Issue.record("write did not answer .written")
            throw StoreError(.io, "unexpected outcome")
        }
        return (lsn, invalidated)
    }

    @discardableResult
    func write(_ changes: Change..., peer: Peer = alice) throws -> LSN {
        try write(changes, peer: peer).lsn
    }

    func begin(
        _ changes: [Change], lease: Milliseconds = 30_000, meta: [UInt8]? = nil, peer: Peer = alice
    ) throws -> (id: String, lsn: LSN, expiresAt: Milliseconds) {
        guard case .begun(let id, let lsn, let expiresAt) = try apply(
            .begin(changes: changes, lease: lease, meta: meta), peer: peer)
        else {
            Issue.record("begin did not answer .begun")
            throw StoreError(.io, "unexpected outcome")
        }
        return (id, lsn, expiresAt)
    }

    func commit(_ id: String, peer: Peer = alice) throws -> (lsn: LSN, invalidated: [String]) {
        guard case .written(let lsn, let invalidated) = try apply(.commit(intent: id), peer: peer) else {
            Issue.record("commit did not answer .written")
            throw StoreError(.io, "unexpected outcome")
        }
        return (lsn, invalidated)
    }

    func abort(_ id: String, peer: Peer = alice) throws -> LSN {
        guard case .aborted(let lsn) = try apply(.abort(intent: id), peer: peer) else {
            Issue.record("abort did not answer .aborted")
            throw StoreError(.io, "unexpected outcome")
        }
        return lsn
    }

    func register(
        _ name: String, stamp: Stamp, deps: [Dep], ttl: Milliseconds = 3_600_000
    ) throws -> (registered: Bool, valid: Bool) {
        guard case .registered(let registered, let valid) = try apply(
            .register(name: name, stamp: stamp, deps: deps, ttl: ttl))
        else {
            Issue.record("register did not answer .registered")
            throw StoreError(.io, "unexpected outcome")
        }
        return (registered, valid)
    }

    /// Runs a housekeeping batch. `expiredIntents` counts the `expire` records the batch
    /// appended (due intents may be expired by the batch itself before the housekeeping
    /// request runs, so the request's own count can be lower).
    func housekeeping(peer: Peer = alice) throws -> (expiredIntents: Int, purgedNames: Int, forgottenIntents: Int) {
        let batch = try store.apply([MutationRequest(.housekeeping, peer: peer)])
        guard case .housekept(let expired, let purged, let forgotten) = try batch.outcomes[0].get() else {
            Issue.record("housekeeping did not answer .housekept")
            throw StoreError(.io, "unexpected outcome")
        }
        let expireRecords = batch.records.filter { $0.record.kind == .expire }.count
        #expect(expired <= expireRecords)
        #expect(batch.records.allSatisfy { $0.record.kind == .expire })
        return (expireRecords, purged, forgotten)
    }

    // MARK: Reads

    var lsn: LSN { get throws { try store.currentLSN() } }

    /// A stamp taken now (no deps).
    func stamp() throws -> Stamp {
        let result = try store.stamp([])
        return Stamp(epoch: result.epoch, lsn: result.lsn)
    }

    func version(_ dep: Dep) throws -> LSN {
        try store.stamp([dep]).versions[0]
    }

    func versions(_ deps: [Dep]) throws -> [LSN] {
        try store.stamp(deps).versions
    }

    func check(_ stamp: Stamp, _ deps: [Dep]) throws -> Validity {
        try store.check([.stamp(stamp, deps: deps)])[0]
    }

    func check(name: String) throws -> Validity {
        try store.check([.name(name)])[0]
    }

    func log(from: LSN? = nil, limit: Int = 1000, tables: Set<String>? = nil) throws -> LogPage {
        try store.log(LogQuery(from: from, limit: limit, tables: tables))
    }

    func records() throws -> [Record] {
        try log().records
    }
}
