import Foundation
import LMDB
import Synchronization
import Testing
import TidemarkLocalReader
import TidemarkStore
import TidemarkTestSupport

/// The reader against a store written in this process with a clock the test moves: what
/// it reads of intents whose lease ended, of names past their TTL, and of a format it does
/// not know. The store is closed before the reader opens the directory (LMDB must not have
/// one environment open twice in a process).
@Suite("Local reader against a store file", .serialized)
struct LocalReaderStoreFileTests {
    final class Clock: Sendable {
        let now = Atomic<UInt64>(1_000_000)
        var read: @Sendable () -> Milliseconds { { self.now.load(ordering: .relaxed) } }
    }

    private static func options() -> LMDBStore.Options {
        var options = LMDBStore.Options()
        options.mapSize = 64 << 20
        options.durable = false
        options.localReaderGroup = UInt32(getgid())
        return options
    }

    private static func apply(_ store: LMDBStore, _ mutation: Mutation) throws -> MutationOutcome {
        try store.apply([MutationRequest(mutation, peer: Peer(pid: 1, uid: 0, gid: 0))]).outcomes[0].get()
    }

    @Test func anIntentWhoseLeaseEndedReadsAsPendingUntilTheServerExpiresIt() throws {
        let directory = try TemporaryDirectory()
        let clock = Clock()
        let dep = Dep(table: "users", key: "42")
        var store: LMDBStore? = try LMDBStore(path: directory.dataPath, options: Self.options(), clock: clock.read)
        _ = try Self.apply(store!, .write(changes: [Change(table: "users", keys: ["42"])], meta: nil))
        let stamp = try store!.stamp([dep])
        _ = try Self.apply(store!, .begin(changes: [Change(table: "users", keys: ["42"])], lease: 10, meta: nil))
        clock.now.add(1000, ordering: .relaxed)  // the lease ended; no housekeeping has run
        let query = CheckQuery.stamp(Stamp(epoch: stamp.epoch, lsn: stamp.lsn), deps: [dep])
        let serverAnswer = try store!.check([query])
        let serverStamp = try store!.stamp([dep])
        #expect(serverAnswer[0].reason == .pending)
        store = nil

        var reader: LocalReader? = try LocalReader(directory: directory.dataPath, clock: clock.read)
        #expect(try reader!.check([query]) == serverAnswer)
        #expect(try reader!.stamp([dep]) == serverStamp)
        #expect(try reader!.stamp([dep]).cacheable == false)
        reader = nil

        store = try LMDBStore(path: directory.dataPath, options: Self.options(), clock: clock.read)
        _ = try Self.apply(store!, .housekeeping)  // now it expires, advancing the version
        let expired = try store!.check([query])
        #expect(expired[0].reason == .changed)
        store = nil
        reader = try LocalReader(directory: directory.dataPath, clock: clock.read)
        #expect(try reader!.check([query]) == expired)
    }

    @Test func aNamePastItsTTLReadsAsExpiredUntilPurged() throws {
        let directory = try TemporaryDirectory()
        let clock = Clock()
        var store: LMDBStore? = try LMDBStore(path: directory.dataPath, options: Self.options(), clock: clock.read)
        let stamp = try store!.stamp([])
        _ = try Self.apply(
            store!, .register(name: "page", stamp: Stamp(epoch: stamp.epoch, lsn: stamp.lsn), deps: [Dep(table: "t")], ttl: 50))
        #expect(try store!.check([.name("page")])[0].isValid)
        clock.now.add(100, ordering: .relaxed)
        let serverAnswer = try store!.check([.name("page"), .name("never")])
        #expect(serverAnswer.map(\.reason) == [.expired, .unknown])
        store = nil
        let reader = try LocalReader(directory: directory.dataPath, clock: clock.read)
        #expect(try reader.check([.name("page"), .name("never")]) == serverAnswer)
    }

    @Test func aFormatVersionItDoesNotKnowIsRefused() throws {
        let directory = try TemporaryDirectory()
        _ = try LMDBStore(path: directory.dataPath, options: Self.options())
        do {
            var environmentOptions = Environment.Options()
            environmentOptions.mapSize = 64 << 20
            environmentOptions.maxDatabases = 16
            let environment = try Environment(path: directory.dataPath, options: environmentOptions)
            let meta = try environment.openDatabase(named: "meta")
            try environment.write { transaction in
                try transaction.put([0, 0, 0, 0, 0, 0, 0, 2], forKey: Array("format".utf8), in: meta)
            }
        }
        let error = #expect(throws: LocalReaderError.self) { _ = try LocalReader(directory: directory.dataPath) }
        #expect(error?.code == .unsupportedFormat)
        #expect(error?.message.contains("format version 2") == true, "\(error?.message ?? "")")
    }

    @Test func limitsAreTheServersNamingTheField() throws {
        let directory = try TemporaryDirectory()
        _ = try LMDBStore(path: directory.dataPath, options: Self.options())
        let reader = try LocalReader(directory: directory.dataPath)
        let epoch = try reader.epoch
        let error = #expect(throws: LocalReaderError.self) {
            _ = try reader.check([.name("ok"), .stamp(Stamp(epoch: epoch, lsn: 0), deps: [Dep(table: "t", key: "")])])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.field == "entries[1].deps[0].key")
    }
}
