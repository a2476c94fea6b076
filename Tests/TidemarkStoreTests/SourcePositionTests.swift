import Foundation
import LMDB
import Testing
@testable import TidemarkStore

@Suite("Source positions")
struct SourcePositionTests {
    private func sourced(_ changes: [Change], _ name: String, _ position: UInt64) -> Mutation {
        .sourcedWrite(changes: changes, meta: nil, source: SourcePosition(name: name, position: position))
    }

    @Test func aWriteAboveThePositionIsRecordedAndRaisesIt() throws {
        let fixture = try StoreFixture()
        #expect(try fixture.store.sourcePosition("pg") == 0)
        #expect(try fixture.apply(sourced([keyed("t", "1")], "pg", 100)) == .written(lsn: 1, invalidated: []))
        #expect(try fixture.store.sourcePosition("pg") == 100)
        #expect(try fixture.version(dep("t", "1")) == 1)
        #expect(try fixture.apply(sourced([keyed("t", "2")], "pg", 101)) == .written(lsn: 2, invalidated: []))
        #expect(try fixture.store.sourcePosition("pg") == 101)
        #expect(try fixture.records().map(\.kind) == [.write, .write])
    }

    @Test func aWriteAtOrBelowThePositionWritesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.apply(sourced([keyed("t", "1")], "pg", 100))
        try fixture.write(keyed("other", "x"))
        let stamp = try fixture.store.stamp([dep("t"), dep("t", "9")])
        #expect(try fixture.apply(sourced([keyed("t", "9")], "pg", 100)) == .duplicate(lsn: 2, position: 100))
        #expect(try fixture.apply(sourced([wide("t")], "pg", 7)) == .duplicate(lsn: 2, position: 100))
        #expect(try fixture.store.stamp([dep("t"), dep("t", "9")]) == stamp)
        #expect(try fixture.lsn == 2)
        #expect(try fixture.store.sourcePosition("pg") == 100)
    }

    @Test func sourcesAreIndependentAndPlainWritesLeaveThemAlone() throws {
        let fixture = try StoreFixture()
        try fixture.apply(sourced([wide("a")], "one", 50))
        try fixture.apply(sourced([wide("b")], "two", 5))
        try fixture.write(wide("c"))
        #expect(try fixture.store.sourcePosition("one") == 50)
        #expect(try fixture.store.sourcePosition("two") == 5)
        #expect(try fixture.apply(sourced([wide("b")], "two", 6)) == .written(lsn: 4, invalidated: []))
    }

    @Test func aReplayInsideOneBatchIsRecognised() throws {
        let fixture = try StoreFixture()
        let batch = try fixture.store.apply([
            MutationRequest(sourced([keyed("t", "1")], "pg", 10), peer: alice),
            MutationRequest(sourced([keyed("t", "1")], "pg", 10), peer: alice),
            MutationRequest(sourced([keyed("t", "2")], "pg", 11), peer: alice),
        ])
        #expect(try batch.outcomes.map { try $0.get() } == [
            .written(lsn: 1, invalidated: []), .duplicate(lsn: 1, position: 10), .written(lsn: 2, invalidated: []),
        ])
        #expect(batch.records.count == 2)
    }

    @Test func aDuplicateInvalidatesNoName() throws {
        let fixture = try StoreFixture()
        try fixture.apply(sourced([keyed("t", "1")], "pg", 10))
        let stamp = try fixture.stamp()
        _ = try fixture.register("n", stamp: stamp, deps: [dep("t", "1")])
        #expect(try fixture.apply(sourced([keyed("t", "1")], "pg", 10)) == .duplicate(lsn: 1, position: 10))
        #expect(try fixture.check(name: "n") == .valid)
        #expect(try fixture.apply(sourced([keyed("t", "1")], "pg", 11)) == .written(lsn: 2, invalidated: ["n"]))
    }

    @Test func afterMustBeTheRecordedPosition() throws {
        let fixture = try StoreFixture()
        let chained = { (position: UInt64, after: UInt64) in
            Mutation.sourcedWrite(
                changes: [keyed("t", "\(position)")], meta: nil,
                source: SourcePosition(name: "pg", position: position, after: after))
        }
        #expect(try fixture.apply(chained(10, 0)) == .written(lsn: 1, invalidated: []))
        // A write that follows one the store never recorded (say it was refused) is refused
        // too, and writes nothing: its position must not hide the missing one.
        let error = try fixture.refusal(chained(30, 20))
        #expect(error.code == .sourceOutOfOrder)
        #expect(error.sourcePosition == 10)
        #expect(try fixture.lsn == 1)
        #expect(try fixture.store.sourcePosition("pg") == 10)
        #expect(try fixture.apply(chained(20, 10)) == .written(lsn: 2, invalidated: []))
        #expect(try fixture.apply(chained(30, 20)) == .written(lsn: 3, invalidated: []))
        // A replay is a duplicate whatever it says it follows.
        #expect(try fixture.apply(chained(20, 10)) == .duplicate(lsn: 3, position: 30))
        #expect(try fixture.refusal(chained(5, 5)).field == "source.after")
    }

    @Test func badSourcesAreRefusedWithTheirField() throws {
        let fixture = try StoreFixture()
        let long = String(repeating: "n", count: StoreLimits().maxNameBytes + 1)
        for (mutation, field) in [
            (sourced([keyed("t", "1")], "", 1), "source.name"),
            (sourced([keyed("t", "1")], long, 1), "source.name"),
            (sourced([keyed("t", "1")], "pg", 0), "source.position"),
            (sourced([], "pg", 1), "changes"),
        ] {
            let error = try fixture.refusal(mutation)
            #expect(error.code == .invalidArgument)
            #expect(error.field == field)
        }
        #expect(try fixture.lsn == 0)
        #expect(try fixture.store.sourcePosition("pg") == 0)
    }

    @Test func positionsSurviveARestartAndVerify() throws {
        var options = LMDBStore.Options()
        options.mapSize = 64 << 20
        let fixture = try StoreFixture(options: options)
        try fixture.apply(sourced([keyed("t", "1")], "postgres:1:slot", 0x16B_3748))
        try fixture.reopen()
        #expect(try fixture.store.sourcePosition("postgres:1:slot") == 0x16B_3748)
        #expect(try fixture.apply(sourced([keyed("t", "1")], "postgres:1:slot", 0x16B_3748)) == .duplicate(lsn: 1, position: 0x16B_3748))
        let report = try fixture.store.verify()
        #expect(report.isClean, "\(report.discrepancies.map(\.description))")
    }

    @Test func verifyReportsAMalformedPosition() throws {
        let fixture = try StoreFixture()
        try fixture.apply(sourced([wide("t")], "pg", 3))
        fixture.close()
        do {
            var options = Environment.Options()
            options.mapSize = StoreFixture.fastOptions.mapSize
            options.maxDatabases = UInt32(Schema.databaseCount)
            let environment = try Environment(path: fixture.path, options: options)
            let schema = try Schema(environment: environment)
            try environment.write { transaction in
                try transaction.put([1, 2, 3], forKey: Schema.sourceKey("pg"), in: schema.meta)
                try transaction.put(ByteWriter.bigEndian(0), forKey: Schema.sourceKey("zero"), in: schema.meta)
            }
        }
        var readOnly = StoreFixture.fastOptions
        readOnly.readOnly = true
        let report = try LMDBStore(path: fixture.path, options: readOnly).verify()
        #expect(report.discrepancies.map(\.subject).sorted() == ["source pg", "source zero"])
        #expect(report.discrepancies.allSatisfy { $0.kind == .meta })
    }
}
