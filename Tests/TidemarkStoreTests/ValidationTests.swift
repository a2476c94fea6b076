import Testing
@testable import TidemarkStore

@Suite("Validation")
struct ValidationTests {
    static let limits = StoreLimits()
    static let longTable = String(repeating: "t", count: limits.maxTableBytes + 1)
    static let longKey = String(repeating: "k", count: limits.maxKeyBytes + 1)
    static let longName = String(repeating: "n", count: limits.maxNameBytes + 1)
    /// Multi-byte characters: the limit counts UTF-8 bytes, not characters.
    static let longInBytes = String(repeating: "é", count: limits.maxTableBytes / 2 + 1)

    struct BadChanges: Sendable, CustomTestStringConvertible {
        var changes: [Change]
        var field: String
        var testDescription: String { field }
    }

    static let badChanges: [BadChanges] = [
        BadChanges(changes: [], field: "changes"),
        BadChanges(changes: [Change(table: "")], field: "changes[0].table"),
        BadChanges(changes: [keyed("ok", "a"), Change(table: "", keys: ["a"])], field: "changes[1].table"),
        BadChanges(changes: [keyed("ok", "a"), keyed("t", "")], field: "changes[1].keys[0]"),
        BadChanges(changes: [keyed("t", "a", "b", "")], field: "changes[0].keys[2]"),
        BadChanges(changes: [wide(longTable)], field: "changes[0].table"),
        BadChanges(changes: [wide(longInBytes)], field: "changes[0].table"),
        BadChanges(changes: [wide("a"), wide("b"), keyed("c", "x", longKey)], field: "changes[2].keys[1]"),
    ]

    @Test(arguments: badChanges)
    func badWritesAreRefusedAndWriteNothing(bad: BadChanges) throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("ok", "a"))
        let before = try fixture.store.stamp([dep("ok"), dep("ok", "a"), dep("t"), dep("a"), dep("b")])

        for mutation in [Mutation.write(changes: bad.changes, meta: nil), .begin(changes: bad.changes, lease: 1_000, meta: nil)] {
            let error = try fixture.refusal(mutation)
            #expect(error.code == .invalidArgument)
            #expect(error.field == bad.field)
        }
        #expect(try fixture.store.stamp([dep("ok"), dep("ok", "a"), dep("t"), dep("a"), dep("b")]) == before)
        #expect(try fixture.records().count == 1)
        #expect(try fixture.store.statistics().openIntents == 0)
    }

    @Test func limitsAreInclusive() throws {
        let fixture = try StoreFixture()
        let table = String(repeating: "t", count: Self.limits.maxTableBytes)
        let key = String(repeating: "k", count: Self.limits.maxKeyBytes)
        let name = String(repeating: "n", count: Self.limits.maxNameBytes)
        let lsn = try fixture.write(keyed(table, key))
        #expect(try fixture.version(dep(table, key)) == lsn)
        #expect(try fixture.register(name, stamp: try fixture.stamp(), deps: [dep(table, key)]) == (true, true))
        #expect(try fixture.check(name: name) == .valid)
        #expect(try fixture.write([wide(table)]).invalidated == [name])
    }

    @Test func badRegistrationsAreRefusedWithTheirField() throws {
        let fixture = try StoreFixture()
        let stamp = try fixture.stamp()
        _ = try fixture.register("kept", stamp: stamp, deps: [dep("t")])
        let cases: [(Mutation, String)] = [
            (.register(name: "", stamp: stamp, deps: [], ttl: 1), "name"),
            (.register(name: Self.longName, stamp: stamp, deps: [], ttl: 1), "name"),
            (.register(name: "kept", stamp: stamp, deps: [dep("t"), dep("")], ttl: 1), "deps[1].table"),
            (.register(name: "kept", stamp: stamp, deps: [dep("t", "")], ttl: 1), "deps[0].key"),
            (.register(name: "kept", stamp: stamp, deps: [dep("t", Self.longKey)], ttl: 1), "deps[0].key"),
            (.register(name: "kept", stamp: stamp, deps: [dep(Self.longTable, "k")], ttl: 1), "deps[0].table"),
        ]
        for (mutation, field) in cases {
            let error = try fixture.refusal(mutation)
            #expect(error.code == .invalidArgument)
            #expect(error.field == field)
        }
        // A refused request is not a failed registration: the earlier entry is kept.
        #expect(try fixture.check(name: "kept") == .valid)
        #expect(try fixture.store.statistics().names == 1)
    }

    @Test func badStampsAndChecksAreRefusedWithTheirField() throws {
        let fixture = try StoreFixture()
        let stamp = try fixture.stamp()
        let stampError = #expect(throws: StoreError.self) {
            _ = try fixture.store.stamp([dep("t"), dep("t", "a"), dep("t", "")])
        }
        #expect(stampError?.code == .invalidArgument)
        #expect(stampError?.field == "deps[2].key")

        let single = #expect(throws: StoreError.self) {
            _ = try fixture.store.check([.stamp(stamp, deps: [dep("")])])
        }
        #expect(single?.field == "deps[0].table")

        let byName = #expect(throws: StoreError.self) { _ = try fixture.store.check([.name("")]) }
        #expect(byName?.field == "name")

        let entries = #expect(throws: StoreError.self) {
            _ = try fixture.store.check([.name("fine"), .stamp(stamp, deps: [dep("t", Self.longKey)])])
        }
        #expect(entries?.code == .invalidArgument)
        #expect(entries?.field == "entries[1].deps[0].key")

        let entryName = #expect(throws: StoreError.self) {
            _ = try fixture.store.check([.name("fine"), .name(Self.longName)])
        }
        #expect(entryName?.field == "entries[1].name")
    }

    @Test func aRefusedRequestInABatchLeavesTheRestOfTheBatch() throws {
        let fixture = try StoreFixture()
        let batch = try fixture.store.apply([
            MutationRequest(.write(changes: [keyed("t", "a"), keyed("u", "")], meta: nil), peer: alice),
            MutationRequest(.write(changes: [keyed("t", "b")], meta: nil), peer: alice),
        ])
        #expect(batch.outcomes[0].error?.field == "changes[1].keys[0]")
        #expect(try batch.outcomes[1].get() == .written(lsn: 1, invalidated: []))
        // Nothing of the refused write leaked: t:a and u were not touched.
        #expect(try fixture.versions([dep("t", "a"), dep("u"), dep("t", "b"), dep("t")]) == [0, 0, 1, 1])
    }
}
