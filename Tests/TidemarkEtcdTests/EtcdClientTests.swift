import Foundation
import Logging
import Synchronization
import Testing
import TidemarkEtcd
import TidemarkTestSupport

extension EtcdSuites {
    /// The etcd client against a real 3-member cluster on loopback.
    @Suite struct EtcdClientTests {
        /// Runs `body` with a client of `urls`, shut down after it however it ends.
        static func withClient<Result>(
            _ urls: [String], timeout: Duration = .seconds(3), _ body: (EtcdClient) async throws -> Result
        ) async throws -> Result {
            // Connecting is given as long as answering: on a loaded machine a first connect
            // to a member just started took over the client's default second.
            let client = EtcdClient(
                endpoints: try EtcdEndpoints(urls: urls), requestTimeout: timeout, connectTimeout: timeout,
                logger: Logger(label: "test"))
            do {
                let result = try await body(client)
                await client.shutdown()
                return result
            } catch {
                await client.shutdown()
                throw error
            }
        }

        static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

        /// For tests of what the client does, not how fast: the etcd suites run beside the
        /// rest of `make test`, and one put on a fresh cluster once took over 3 s there.
        static let patient: Duration = .seconds(10)

        @Test func putsAreReadBackInOrderWithIncreasingRevisions() async throws {
            let cluster = try await EtcdCluster.start()
            try await Self.withClient(cluster.clientURLs, timeout: Self.patient) { client in
                var revisions: [Int64] = []
                for name in ["b", "a", "c"] {
                    revisions.append(try await client.put(Self.bytes("/t/\(name)"), Self.bytes("value \(name)")))
                }
                #expect(revisions == revisions.sorted() && Set(revisions).count == 3)
                let range = try await client.range(.prefix(Self.bytes("/t/")))
                #expect(range.kvs.map { String(decoding: $0.key, as: UTF8.self) } == ["/t/a", "/t/b", "/t/c"])
                #expect(range.kvs.map(\.modRevision) == [revisions[1], revisions[0], revisions[2]])
                #expect(range.count == 3 && range.header.revision == revisions[2])
                #expect(try await client.get(Self.bytes("/t/a"))?.value == Self.bytes("value a"))
                #expect(try await client.get(Self.bytes("/t/none")) == nil)
                let counted = try await client.range(EtcdRangeRequest(key: Self.bytes("/t/"), rangeEnd: EtcdKeys.prefixEnd(Self.bytes("/t/")), countOnly: true))
                #expect(counted.count == 3 && counted.kvs.isEmpty)
                // Each member, asked directly, is of the one cluster.
                for url in cluster.clientURLs {
                    let status = try await client.status(of: url)
                    #expect(status.header.clusterID == range.header.clusterID)
                }
                #expect(try await client.delete(Self.bytes("/t/"), rangeEnd: EtcdKeys.prefixEnd(Self.bytes("/t/"))) == 3)
            }
        }

        @Test func aTransactionComparesAndAppliesAtOneRevision() async throws {
            let cluster = try await EtcdCluster.start()
            try await Self.withClient(cluster.clientURLs, timeout: Self.patient) { client in
                let marker = Self.bytes("/log/writer-1/1")
                let create = EtcdTransaction(
                    compare: [.absent(marker)],
                    success: [
                        .put(key: marker, value: Self.bytes("record")), .put(key: Self.bytes("/v/users/1"), value: []),
                        .put(key: Self.bytes("/v/users"), value: []),
                    ],
                    failure: [.range(EtcdRangeRequest(key: marker))])
                let first = try await client.transaction(create, idempotent: true)
                #expect(first.succeeded)
                let keys = try await client.range(.prefix(Self.bytes("/")))
                #expect(keys.kvs.count == 3 && keys.kvs.allSatisfy { $0.modRevision == first.header.revision })
                // Run again (a retry after a lost answer): the comparison fails, nothing is written,
                // and the failure branch reads the revision the first run was applied at.
                let again = try await client.transaction(create, idempotent: true)
                #expect(!again.succeeded && again.header.revision == first.header.revision)
                guard case .range(let existing) = again.responses.first else {
                    Issue.record("no range in the failure branch: \(again.responses)")
                    return
                }
                #expect(existing.kvs.first?.modRevision == first.header.revision)
                let bumped = try await client.transaction(
                    EtcdTransaction(compare: [EtcdComparison(key: marker, .equal, .modRevision(first.header.revision))], success: [.put(key: marker, value: [1])]))
                #expect(bumped.succeeded && bumped.header.revision == first.header.revision + 1)
            }
        }

        @Test func leasedKeysGoWhenTheLeaseIsRevokedOrRunsOut() async throws {
            let cluster = try await EtcdCluster.start()
            try await Self.withClient(cluster.clientURLs, timeout: Self.patient) { client in
                let lease = try await client.grantLease(seconds: 30)
                #expect(lease.id != 0 && lease.ttl == 30)
                try await client.put(Self.bytes("/intent/a"), [], lease: lease.id)
                #expect(try await client.get(Self.bytes("/intent/a"))?.lease == lease.id)
                #expect(try await client.keepAlive(lease: lease.id) > 0)
                try await client.revokeLease(lease.id)
                #expect(try await client.get(Self.bytes("/intent/a")) == nil)
                await #expect(throws: EtcdError.self) { try await client.keepAlive(lease: lease.id) }
                try await client.revokeLease(lease.id)

                // A lease left to run out: the watch sees etcd delete its key.
                let short = try await client.grantLease(seconds: 1)
                let revision = try await client.put(Self.bytes("/intent/b"), [], lease: short.id)
                let deleted = Delivered<EtcdEvent>()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await client.watch(Self.bytes("/intent/b"), from: revision + 1) { response in
                            deleted.append(response.events)
                        }
                    }
                    group.addTask {
                        try await deleted.wait(for: 1)
                    }
                    try await group.next()
                    group.cancelAll()
                }
                #expect(deleted.all.map(\.kind) == [.delete])
            }
        }

        @Test func aWatchDeliversEveryRevisionOnceInOrderAndRefusesCompactedOnes() async throws {
            let cluster = try await EtcdCluster.start()
            try await Self.withClient(cluster.clientURLs, timeout: Self.patient) { client in
                var written: [Int64] = []
                for index in 0..<20 { written.append(try await client.put(Self.bytes("/w/\(index % 3)"), Self.bytes("\(index)"))) }
                let seen = Delivered<Int64>()
                let first = written[0]
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await client.watch(Self.bytes("/w/"), rangeEnd: EtcdKeys.prefixEnd(Self.bytes("/w/")), from: first) { response in
                            seen.append(response.events.map(\.kv.modRevision))
                        }
                    }
                    group.addTask {
                        try await seen.wait(for: 20)
                    }
                    try await group.next()
                    group.cancelAll()
                }
                #expect(seen.all == written)

                try await client.compact(revision: written[10])
                do {
                    try await client.watch(Self.bytes("/w/"), from: written[2]) { _ in }
                    Issue.record("a watch from a compacted revision started")
                } catch let error as EtcdError {
                    #expect(error.code == .compacted)
                }
                await #expect { _ = try await client.range(EtcdRangeRequest(key: Self.bytes("/w/0"), revision: written[2])) } throws: {
                    ($0 as? EtcdError)?.code == .compacted
                }
            }
        }

        @Test func endpointsAreCheckedAndAClusterThatIsDownIsUnavailable() async throws {
            #expect(throws: EtcdError.self) { try EtcdEndpoints("") }
            #expect(throws: EtcdError.self) { try EtcdEndpoints("127.0.0.1:2379") }
            #expect(throws: EtcdError.self) { try EtcdEndpoints("https://127.0.0.1:2379") }
            #expect(try EtcdEndpoints("http://a:1, http://b:2/").urls == ["http://a:1", "http://b:2"])
            // Nothing listens on ports 1 and 9 of loopback here.
            try await Self.withClient(["http://127.0.0.1:1", "http://127.0.0.1:9"]) { client in
                await #expect { _ = try await client.get(Self.bytes("/x")) } throws: { ($0 as? EtcdError)?.code == .unavailable }
                await #expect { try await client.put(Self.bytes("/x"), []) } throws: { ($0 as? EtcdError)?.code == .unavailable }
            }
        }
    }
}

/// What a watch delivered, read by the test while the watch runs.
final class Delivered<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ more: [Value]) { values.withLock { $0 += more } }
    var all: [Value] { values.withLock { $0 } }
    var count: Int { values.withLock { $0.count } }

    /// Returns once at least `count` values arrived.
    func wait(for count: Int) async throws {
        while self.count < count { try await Task.sleep(for: .milliseconds(10)) }
    }
}
