import Foundation
import Synchronization
import Testing
import TidemarkClient
import TidemarkEtcd
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// Two Tidemark servers on two hosts (network namespaces), each reaching the 3-member etcd
    /// cluster (three more hosts) over its own link. Writers go through host A's server and
    /// checkers through host B's, while the cluster loses a follower, then its leader, then
    /// has a member cut off, and A's server is killed with SIGKILL and started again. Every
    /// write and every valid answer is recorded with its start and end; the test fails on any
    /// check that started after a write of its dep was acknowledged and still answered valid
    /// for a stamp older than it, and on any acknowledged write B cannot see at the end.
    @Suite struct EtcdHostsHistoryTests {
        struct Event: Sendable {
            var dep: Dep
            var lsn: LSN
            var started: ContinuousClock.Instant
            var ended: ContinuousClock.Instant
        }

        final class StopFlag: Sendable {
            private let value = Atomic<Bool>(false)
            var isSet: Bool { value.load(ordering: .relaxed) }
            func set() { value.store(true, ordering: .relaxed) }
        }

        /// The server A's writers use; replaced when A is restarted.
        final class Current: Sendable {
            private let value: Mutex<EtcdServerProcess>
            init(_ server: EtcdServerProcess) { value = Mutex(server) }
            var server: EtcdServerProcess { value.withLock { $0 } }
            func replace(_ server: EtcdServerProcess) { value.withLock { $0 = server } }
        }

        @Test func noStaleValidAndNoLostWriteAcrossHostsThroughFaults() async throws {
            try await IsolatedHosts.with(5) { hosts in
                let cluster = try await EtcdCluster.start(on: hosts)
                let directory = try TemporaryDirectory()
                var started: [EtcdServerProcess] = []
                do {
                    let a = try await EtcdServerProcess.start(
                        socketPath: "\(directory.path)/a.sock", etcd: cluster.endpointList, on: (hosts, 3))
                    let b = try await EtcdServerProcess.start(
                        socketPath: "\(directory.path)/b.sock", etcd: cluster.endpointList, on: (hosts, 4))
                    started = [a, b]
                    let restartedA = try await Self.run(cluster: cluster, hosts: hosts, a: a, b: b)
                    started.append(restartedA)
                    for server in started { await server.kill() }
                    await cluster.stop()
                } catch {
                    for server in started { await server.kill() }
                    await cluster.stop()
                    throw error
                }
            }
        }

        /// Runs the load and the faults; returns A's second server.
        private static func run(cluster: EtcdCluster, hosts: IsolatedHosts, a: EtcdServerProcess, b: EtcdServerProcess) async throws -> EtcdServerProcess {
            let keys = (0..<8).map { Dep(table: "items", key: "\($0)") }
            let writes = Delivered<Event>()
            let validChecks = Delivered<Event>()
            let answered = Delivered<Bool>()
            let done = StopFlag()
            let writer = Current(a)
            var restarted = a
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<3 {
                    group.addTask {
                        var round = 0
                        while !done.isSet {
                            // A new connection per attempt after a failure: A may have died.
                            guard let client = try? await writer.server.connect() else { continue }
                            while !done.isSet {
                                let dep = keys[(task * 7 + round) % keys.count]
                                round += 1
                                let start = ContinuousClock.now
                                guard let result = try? await client.write([Change(table: dep.table, keys: [dep.key!])]) else { break }
                                writes.append([Event(dep: dep, lsn: result.lsn, started: start, ended: .now)])
                            }
                            await client.close()
                        }
                    }
                }
                for task in 0..<3 {
                    group.addTask {
                        var round = 0
                        while !done.isSet {
                            guard let client = try? await b.connect() else { continue }
                            while !done.isSet {
                                let dep = keys[(task * 5 + round) % keys.count]
                                round += 1
                                guard let stamp = try? await client.stamp([dep]) else { continue }
                                let stamped = Stamp(epoch: stamp.epoch, lsn: stamp.lsn)
                                for _ in 0..<10 {
                                    let start = ContinuousClock.now
                                    guard let validity = try? await client.check(stamp: stamped, deps: [dep]) else { continue }
                                    answered.append([validity.isValid])
                                    if validity.isValid {
                                        validChecks.append([Event(dep: dep, lsn: stamp.lsn, started: start, ended: .now)])
                                    }
                                }
                            }
                            await client.close()
                        }
                    }
                }
                defer { done.set() }
                try await progress(writes, by: 30)
                let leader = try await leaderIndex(cluster)
                let follower = (leader + 1) % 3
                await cluster.kill(follower)
                try await progress(writes, by: 20)
                try await cluster.restart(follower)
                await cluster.kill(leader)
                try await progress(writes, by: 20)
                try await cluster.restart(leader)
                try await hosts.partition(follower)
                try await progress(writes, by: 20)
                try await hosts.heal(follower)
                await a.kill()
                restarted = try await EtcdServerProcess.start(
                    socketPath: a.socketPath, etcd: cluster.endpointList, on: (hosts, 3))
                writer.replace(restarted)
                try await progress(writes, by: 30)
                try await progress(answered, by: 50)
                done.set()
                try await group.waitForAll()
            }

            // Every acknowledged write is seen through the other host's server.
            let final = try await b.connect().stamp(keys)
            let acknowledged = writes.all
            for write in acknowledged {
                let index = keys.firstIndex(of: write.dep)!
                #expect(final.versions[index] >= write.lsn, "write \(write.lsn) of \(write.dep) not seen on host B")
            }
            var stale: [String] = []
            for check in validChecks.all {
                for write in acknowledged where write.dep == check.dep && write.ended < check.started && write.lsn > check.lsn {
                    stale.append("\(check.dep) stamped \(check.lsn) answered valid after write \(write.lsn) was acknowledged")
                }
            }
            #expect(stale.isEmpty, "\(stale.prefix(5))")
            #expect(validChecks.count > 0 && answered.all.contains(false), "the history must hold both answers")
            print("etcd hosts history: \(acknowledged.count) writes, \(answered.count) checks (\(validChecks.count) valid), \(stale.count) stale")
            return restarted
        }

        /// Waits until `by` more values arrived, or fails after a minute.
        private static func progress<Value>(_ delivered: Delivered<Value>, by count: Int) async throws {
            let target = delivered.count + count
            let deadline = ContinuousClock.now + .seconds(60)
            while delivered.count < target {
                guard ContinuousClock.now < deadline else {
                    throw EtcdClusterError(message: "no progress: \(delivered.count) of \(target) in a minute")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        private static func leaderIndex(_ cluster: EtcdCluster) async throws -> Int {
            for (index, url) in cluster.clientURLs.enumerated() {
                let status = try? await EtcdClientTests.withClient([url]) { try await $0.status(of: url) }
                if status?.isLeader == true { return index }
            }
            throw EtcdClusterError(message: "no member is the leader")
        }
    }
}
