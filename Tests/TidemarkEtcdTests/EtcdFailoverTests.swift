import Foundation
import Logging
import Synchronization
import Testing
import TidemarkEtcd
import TidemarkTestSupport

extension EtcdSuites {
    /// The client while members of a real 3-member cluster are killed with SIGKILL: reads and
    /// writes move to the members left, a watch resumes on another member without missing or
    /// repeating a revision, and with quorum lost every request fails (never a stale answer)
    /// until the members are back, with no new client.
    @Suite struct EtcdFailoverTests {
        static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

        /// Writes until one is acknowledged (an election may refuse a few), within `seconds`.
        static func putEventually(_ client: EtcdClient, _ key: String, value: String? = nil, seconds: Double = 20) async throws -> Int64 {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while true {
                let failure: EtcdError
                do {
                    return try await client.put(bytes(key), bytes(value ?? key))
                } catch {
                    failure = error
                }
                let passing = failure.code == .unavailable || failure.code == .outcomeUnknown
                guard passing, ContinuousClock.now < deadline else { throw failure }
            }
        }

        /// Creates `key` once, retrying through failures until acknowledged: the Txn creates it
        /// only if absent, so an attempt that timed out but applied is read back, not repeated
        /// (exactly one revision per key, which a watch must then deliver once).
        static func createEventually(_ client: EtcdClient, _ key: String, seconds: Double = 20) async throws -> Int64 {
            let deadline = ContinuousClock.now + .seconds(seconds)
            let create = EtcdTransaction(
                compare: [.absent(bytes(key))], success: [.put(key: bytes(key), value: bytes(key))],
                failure: [.range(EtcdRangeRequest(key: bytes(key)))])
            while true {
                let failure: EtcdError
                do throws(EtcdError) {
                    let answer = try await client.transaction(create, idempotent: true)
                    if answer.succeeded { return answer.header.revision }
                    guard case .range(let existing) = answer.responses.first, let kv = existing.kvs.first else {
                        throw EtcdError(.protocolViolation, "\(key) exists but was not read back")
                    }
                    return kv.modRevision
                } catch {
                    failure = error
                }
                let passing = failure.code == .unavailable || failure.code == .outcomeUnknown
                guard passing, ContinuousClock.now < deadline else { throw failure }
            }
        }

        static func leader(_ client: EtcdClient, _ cluster: EtcdCluster) async throws -> Int? {
            for (index, url) in cluster.clientURLs.enumerated() where cluster.isRunning(index) {
                if let status = try? await client.status(of: url), status.isLeader { return index }
            }
            return nil
        }

        @Test func requestsMoveToTheMembersLeftAndStopWithoutQuorum() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdClientTests.withClient(cluster.clientURLs, timeout: .seconds(2)) { client in
                let before = try await Self.putEventually(client, "/f/before")
                // The member the client talks to first: requests must move on.
                await cluster.kill(0)
                let afterFollower = try await Self.putEventually(client, "/f/after-first")
                #expect(afterFollower > before)
                #expect(try await client.get(Self.bytes("/f/before"))?.modRevision == before)

                // The leader of the two left (a new election among them follows).
                var leader = try await Self.leader(client, cluster)
                let deadline = ContinuousClock.now + .seconds(20)
                while leader == nil, ContinuousClock.now < deadline {
                    leader = try await Self.leader(client, cluster)
                }
                let killed = try #require(leader)
                await cluster.kill(killed)
                // One member of three: no quorum. Writes and linearizable reads fail; none answers.
                await #expect { _ = try await client.put(Self.bytes("/f/no-quorum"), []) } throws: {
                    let code = ($0 as? EtcdError)?.code
                    return code == .unavailable || code == .outcomeUnknown
                }
                await #expect { _ = try await client.get(Self.bytes("/f/before")) } throws: {
                    ($0 as? EtcdError)?.code == .unavailable
                }
                // Back to quorum, with the same client.
                try await cluster.restart(0)
                let recovered = try await Self.putEventually(client, "/f/recovered")
                #expect(recovered > afterFollower)
                try await cluster.restart(killed)
                let all = try await client.range(.prefix(Self.bytes("/f/")))
                let names = Set(all.kvs.map { String(decoding: $0.key, as: UTF8.self) })
                #expect(names.isSuperset(of: ["/f/before", "/f/after-first", "/f/recovered"]))
            }
        }

        @Test func aWatchResumesOnAnotherMemberWithoutGapOrRepeat() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdClientTests.withClient(cluster.clientURLs, timeout: .seconds(2)) { client in
                let first = try await Self.createEventually(client, "/w/0")
                let seen = Delivered<Int64>()
                var written = [first]
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await client.watch(Self.bytes("/w/"), rangeEnd: EtcdKeys.prefixEnd(Self.bytes("/w/")), from: first) { response in
                            seen.append(response.events.map(\.kv.modRevision))
                        }
                    }
                    for index in 1..<10 { written.append(try await Self.createEventually(client, "/w/\(index)")) }
                    // The watch streams from the first member; it dies mid-stream.
                    try await seen.wait(for: 5)
                    await cluster.kill(0)
                    for index in 10..<20 { written.append(try await Self.createEventually(client, "/w/\(index)")) }
                    let expected = written
                    group.addTask {
                        try await seen.wait(for: expected.count)
                    }
                    // Whichever ends first: the waiter (all seen) or the watch (an error).
                    try await group.next()
                    group.cancelAll()
                }
                #expect(seen.all == written)
            }
        }
    }
}
