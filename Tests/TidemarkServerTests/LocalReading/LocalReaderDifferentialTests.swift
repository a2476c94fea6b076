import Foundation
import Testing
import TidemarkClient
import TidemarkLocalReader
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

/// A seeded random history against the real server (writes, wide writes, intents opened,
/// committed, aborted and left to expire, names, compaction, and the data directory
/// replaced twice under a running reader). After every step the local reader's answers to
/// random stamps and checks must equal the server's. A comparison counts only when the
/// LSN did not move around it (a short lease may expire meanwhile); it is retried otherwise.
@Suite("Local reader equals the server over random histories", .serialized, .timeLimit(.minutes(2)))
struct LocalReaderDifferentialTests {
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["TIDEMARK_LOCAL_SEED"].flatMap { UInt64($0) } ?? 0x6C6F_6361_6C21
    }

    static let steps = 160
    static let tables = ["accounts", "orders", "tags"]

    @Test func localAnswersEqualTheServersAfterEveryStep() async throws {
        let directory = try TemporaryDirectory()
        var random = SeededGenerator(seed: Self.seed)
        let arguments = ["--local-readers", "\(getgid())"]
        var server = try await ServerProcess.start(
            socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: arguments)
        var client = try await TidemarkClient.connect(socketPath: directory.socketPath)
        let reader = try LocalReader(directory: directory.dataPath)
        var stamps: [Stamp] = [Stamp(epoch: Epoch.random(), lsn: 0)]
        var openIntents: [String] = []
        var names: [String] = []
        var compared = 0
        var epochs: Set<Epoch> = []
        let replaceAt: Set<Int> = [Self.steps / 3, 2 * Self.steps / 3]
        for step in 0..<Self.steps {
            if replaceAt.contains(step) {
                // A new data directory under the running reader: a new epoch, old stamps invalid.
                await client.close()
                #expect(await server.terminate() == 0)
                try FileManager.default.removeItem(atPath: directory.dataPath)
                server = try await ServerProcess.start(
                    socketPath: directory.socketPath, dataPath: directory.dataPath, arguments: arguments)
                client = try await TidemarkClient.connect(socketPath: directory.socketPath)
                // The server waited before answering, so the reader has noticed by now.
                let fresh = try await client.stamp().epoch
                #expect(try reader.stamp([]).epoch == fresh, "step \(step): the reader moved to the new directory")
                openIntents = []
                names = []
            }
            try await Self.mutate(client, &random, stamps: &stamps, intents: &openIntents, names: &names)
            epochs.insert(try await client.stamp().epoch)
            if try await Self.compare(client, reader, &random, stamps: stamps, names: names, step: step) {
                compared += 1
            }
        }
        #expect(epochs.count == 3, "the data directory was replaced twice")
        #expect(compared >= Self.steps * 9 / 10, "\(compared) of \(Self.steps) steps compared at a quiet moment")
        await client.close()
        #expect(await server.terminate() == 0)
    }

    private static func randomDeps(_ random: inout SeededGenerator) -> [Dep] {
        (0..<Int.random(in: 0...3, using: &random)).map { _ in
            let table = tables.randomElement(using: &random)!
            return Bool.random(using: &random) && Int.random(in: 0..<4, using: &random) == 0
                ? Dep(table: table) : Dep(table: table, key: "k\(Int.random(in: 0..<6, using: &random))")
        }
    }

    private static func randomChanges(_ random: inout SeededGenerator) -> [Change] {
        (0..<Int.random(in: 1...2, using: &random)).map { _ in
            let table = tables.randomElement(using: &random)!
            if Int.random(in: 0..<5, using: &random) == 0 { return Change(table: table) }
            return Change(table: table, keys: (0..<Int.random(in: 1...3, using: &random)).map { _ in
                "k\(Int.random(in: 0..<6, using: &random))"
            })
        }
    }

    /// One random step of history.
    private static func mutate(
        _ client: TidemarkClient, _ random: inout SeededGenerator,
        stamps: inout [Stamp], intents: inout [String], names: inout [String]
    ) async throws {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<35:
            let result = try await client.write(randomChanges(&random))
            stamps.append(Stamp(epoch: result.epoch, lsn: result.lsn))
        case 35..<50:
            // Long leases stay open; leases of a few milliseconds end at once and expire
            // when housekeeping gets to them, reading as pending until then.
            let short = Bool.random(using: &random)
            let begun = try await client.begin(randomChanges(&random), ttlMs: short ? UInt64.random(in: 1...20, using: &random) : 60_000)
            intents.append(begun.intent)
        case 50..<60 where !intents.isEmpty:
            let intent = intents.remove(at: Int.random(in: 0..<intents.count, using: &random))
            // A short lease may have expired already: then the server refuses, changing nothing.
            _ = try? await client.commit(intent: intent)
        case 50..<66 where !intents.isEmpty:
            let intent = intents.remove(at: Int.random(in: 0..<intents.count, using: &random))
            _ = try? await client.abort(intent: intent)
        case 66..<80:
            let stamp = try await client.stamp()
            stamps.append(Stamp(epoch: stamp.epoch, lsn: stamp.lsn))
            let name = "n\(Int.random(in: 0..<8, using: &random))"
            _ = try await client.register(name: name, stamp: stamps.randomElement(using: &random)!, deps: randomDeps(&random))
            names.append(name)
        case 80..<84:
            let lsn = try await client.stamp().lsn
            _ = try await client.compact(before: lsn / 2)
        default:
            let stamp = try await client.stamp()
            stamps.append(Stamp(epoch: stamp.epoch, lsn: stamp.lsn + UInt64.random(in: 0...2, using: &random)))
        }
    }

    /// Random queries answered by both at a moment the LSN stood still. Returns whether a
    /// quiet moment was found.
    private static func compare(
        _ client: TidemarkClient, _ reader: LocalReader, _ random: inout SeededGenerator,
        stamps: [Stamp], names: [String], step: Int
    ) async throws -> Bool {
        var queries: [CheckQuery] = (0..<8).map { _ in .stamp(stamps.randomElement(using: &random)!, deps: randomDeps(&random)) }
        queries += (names.isEmpty ? ["n0"] : names).shuffled(using: &random).prefix(3).map { .name($0) }
        let stampDeps = randomDeps(&random)
        for _ in 0..<20 {
            let before = try reader.stamp([])
            let server = try await client.check(entries: queries)
            let serverStamp = try await client.stamp(stampDeps)
            let local = try reader.check(queries)
            let localStamp = try reader.stamp(stampDeps)
            let after = try reader.stamp([])
            guard before == after, serverStamp.lsn == after.lsn, serverStamp.epoch == after.epoch else { continue }
            #expect(local == server, "step \(step): check of \(queries)")
            #expect(localStamp == serverStamp, "step \(step): stamp of \(stampDeps)")
            return true
        }
        return false
    }
}
