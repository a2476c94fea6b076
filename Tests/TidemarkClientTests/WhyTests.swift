#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("tidemark why: explaining validity from check and the log", .timeLimit(.minutes(1)))
struct WhyTests {
    private static let user42 = Dep(table: "users", key: "42")
    private static let orders = Dep(table: "orders")
    private static let product1 = Dep(table: "products", key: "1")

    @Test func twoWritesAreNamedWithExactlyTheDepsTheyChanged() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            _ = try await client.write([Change(table: "users", keys: ["1"])])  // 1, before the stamp
            let stamp = try await client.stamp([Self.user42, Self.orders, Self.product1])
            #expect(stamp.lsn == 1)
            _ = try await client.write([Change(table: "users", keys: ["42"])], meta: ["by": "alice"])  // 2
            _ = try await client.write([Change(table: "users", keys: ["7"])])  // 3: unrelated key
            _ = try await client.write([Change(table: "orders", keys: ["9"])])  // 4: the orders table
            _ = try await client.write([Change(table: "products", keys: ["2"])])  // 5: unrelated key

            let explanation = try await Explanation.build(
                WhyQuery(lsn: stamp.lsn, deps: [Self.user42, Self.orders, Self.product1]), client: client)
            #expect(!explanation.isValid)
            #expect(explanation.exitStatus == 1)
            #expect(explanation.validity.reason == .changed)
            #expect(explanation.stamp == Stamp(epoch: stamp.epoch, lsn: 1))
            #expect(explanation.causes.map(\.record.lsn) == [2, 4])
            #expect(explanation.causes.map(\.deps) == [[Self.user42], [Self.orders]])
            #expect(explanation.causes.first?.record.peer.pid == getpid())
            #expect(explanation.openIntents.isEmpty && explanation.compacted == nil)

            let text = WhyText.render(explanation)
            #expect(text.hasPrefix("not valid: changed"))
            #expect(text.contains("lsn 2  "))
            #expect(text.contains("pid \(getpid()) uid \(getuid())  users:42  meta {\"by\":\"alice\"}  -> users:42"))
            #expect(text.contains("lsn 4  "))
            #expect(text.contains("-> orders"))
            for unrelated in ["lsn 1  ", "lsn 3  ", "lsn 5  "] { #expect(!text.contains(unrelated)) }
            #expect(!text.contains("-> products"))

            let json = WhyText.json(explanation)
            #expect(json["valid"] == false)
            #expect(json["exit_status"] == 1)
            #expect(json["records"]?.arrayValue?.compactMap { $0["lsn"]?.uint64Value } == [2, 4])
            #expect(json["records"]?.arrayValue?.first?["deps"] == [["table": "users", "key": "42"]])
            await client.close()
        }
    }

    @Test func aWideChangeExplainsAKeyDep() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let stamp = try await client.stamp([Self.user42])
            _ = try await client.write([Change(table: "users")], meta: ["by": "migration"])
            let explanation = try await Explanation.build(WhyQuery(lsn: stamp.lsn, deps: [Self.user42]), client: client)
            #expect(explanation.causes.map(\.record.lsn) == [1])
            #expect(explanation.causes.first?.deps == [Self.user42])
            #expect(explanation.causes.first?.record.changes == [Change(table: "users")])
            #expect(WhyText.render(explanation).contains("users(*)  meta {\"by\":\"migration\"}  -> users:42"))
            await client.close()
        }
    }

    @Test func anOpenIntentIsReportedAsPendingWithItsIDAndPeer() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            // Opened before the stamp: still covers the dep. The aborted one does not.
            let open = try await client.begin([Change(table: "users", keys: ["42"])], ttlMs: 600_000, meta: ["txid": 7])
            let closed = try await client.begin([Change(table: "users", keys: ["42"])], ttlMs: 600_000)
            _ = try await client.abort(intent: closed.intent)
            let unrelated = try await client.begin([Change(table: "users", keys: ["8"])], ttlMs: 600_000)
            let stamp = try await client.stamp([Self.user42])
            #expect(!stamp.cacheable)

            let explanation = try await Explanation.build(WhyQuery(lsn: stamp.lsn, deps: [Self.user42]), client: client)
            #expect(explanation.validity.reason == .pending)
            #expect(explanation.exitStatus == 1)
            #expect(explanation.causes.isEmpty)
            #expect(explanation.openIntents.map(\.id) == [open.intent])
            #expect(explanation.openIntents.first?.begin.lsn == open.lsn)
            #expect(explanation.openIntents.first?.begin.peer.pid == getpid())
            #expect(explanation.openIntents.first?.deps == [Self.user42])
            #expect(explanation.pendingWithoutBegin.isEmpty)

            let text = WhyText.render(explanation)
            #expect(text.hasPrefix("not valid: pending"))
            #expect(text.contains("open intent \(open.intent) (begin lsn \(open.lsn), "))
            #expect(text.contains("pid \(getpid()) uid \(getuid()), meta {\"txid\":7}) covers users:42"))
            #expect(!text.contains(closed.intent) && !text.contains(unrelated.intent))
            #expect(WhyText.json(explanation)["open_intents"]?.arrayValue?.first?["intent"] == .string(open.intent))

            // By name: the server's pending list leads to the same intent.
            _ = try await client.abort(intent: open.intent)
            let fresh = try await client.stamp([Self.user42])
            #expect(try await client.register(name: "page", stamp: Stamp(epoch: fresh.epoch, lsn: fresh.lsn), deps: [Self.user42]).registered)
            let again = try await client.begin([Change(table: "users")], ttlMs: 600_000)
            let byName = try await Explanation.build(WhyQuery(name: "page"), client: client)
            #expect(byName.validity.reason == .pending)
            #expect(byName.openIntents.map(\.id) == [again.intent])
            #expect(WhyText.render(byName).contains("open intent \(again.intent)"))
            await client.close()
        }
    }

    @Test func compactionPastTheStampIsSaidPlainly() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let stamp = try await client.stamp([Self.user42, Self.orders])
            _ = try await client.write([Change(table: "users", keys: ["42"])])  // 1
            _ = try await client.write([Change(table: "orders")])  // 2
            _ = try await client.write([Change(table: "users", keys: ["42"])], meta: ["by": "bob"])  // 3
            #expect(try await client.compact(before: 3) == 3)

            let explanation = try await Explanation.build(
                WhyQuery(epoch: stamp.epoch, lsn: stamp.lsn, deps: [Self.user42, Self.orders]), client: client)
            #expect(explanation.compacted == 1...2)
            #expect(explanation.causes.map(\.record.lsn) == [3])
            #expect(explanation.earliestRetained.map(\.record?.lsn) == [3, nil])
            let text = WhyText.render(explanation)
            #expect(text.contains("records 1..2 were compacted away; the earliest retained change to users:42 is lsn 3  "))
            #expect(text.contains("records 1..2 were compacted away; no retained record changes orders (its version 2 was compacted away)"))
            #expect(WhyText.json(explanation)["compacted"]?["first"] == 1)
            await client.close()
        }
    }

    @Test func aValidStampSaysValid() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            _ = try await client.write([Change(table: "users", keys: ["42"])])
            let stamp = try await client.stamp([Self.user42])
            _ = try await client.write([Change(table: "users", keys: ["43"])])
            let explanation = try await Explanation.build(WhyQuery(lsn: stamp.lsn, deps: [Self.user42]), client: client)
            #expect(explanation.isValid)
            #expect(explanation.exitStatus == 0)
            #expect(explanation.causes.isEmpty)
            #expect(WhyText.render(explanation).hasPrefix("valid: no dependency changed after lsn 1"))
            #expect(WhyText.json(explanation)["exit_status"] == 0)

            let other = try await Explanation.build(
                WhyQuery(epoch: Epoch(high: 1, low: 2), lsn: stamp.lsn, deps: [Self.user42]), client: client)
            #expect(other.validity.reason == .epoch && other.exitStatus == 1)
            await client.close()
        }
    }

    @Test func anUnknownNameIsSaidPlainlyAndExplainedFromAGivenStamp() async throws {
        try await TestServer.run { server in
            let client = try await server.connect()
            let stamp = try await client.stamp([Self.user42])
            #expect(try await client.register(name: "page", stamp: Stamp(epoch: stamp.epoch, lsn: stamp.lsn), deps: [Self.user42]).registered)
            let valid = try await Explanation.build(WhyQuery(name: "page"), client: client)
            #expect(valid.isValid && valid.exitStatus == 0)
            #expect(WhyText.render(valid).hasPrefix("valid: the entry named \"page\""))

            _ = try await client.write([Change(table: "users", keys: ["42"])])
            let unknown = try await Explanation.build(WhyQuery(name: "page"), client: client)
            #expect(unknown.validity.reason == .unknown && unknown.exitStatus == 1)
            #expect(WhyText.render(unknown).contains("the name \"page\" is unknown to the server"))
            #expect(WhyText.render(unknown).contains("give --lsn and --dep"))

            let fromStamp = try await Explanation.build(WhyQuery(name: "page", lsn: stamp.lsn, deps: [Self.user42]), client: client)
            #expect(fromStamp.nameValidity?.reason == .unknown)
            #expect(fromStamp.validity.reason == .changed)
            #expect(fromStamp.causes.map(\.record.lsn) == [1])
            let text = WhyText.render(fromStamp)
            #expect(text.contains("explaining the stamp and deps given instead:"))
            #expect(text.contains("lsn 1  ") && text.contains("-> users:42"))
            await client.close()
        }
    }
}
