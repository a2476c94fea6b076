import LMDB
import Testing
@testable import TidemarkStore
import TidemarkTestSupport

@Suite("Verify")
struct VerifyTests {
    private static var readOnlyOptions: LMDBStore.Options {
        var options = StoreFixture.fastOptions
        options.readOnly = true
        return options
    }

    /// Verifies the fixture's directory through a second, read-only store.
    private func verifyReadOnly(_ path: String) throws -> VerificationReport {
        try LMDBStore(path: path, options: Self.readOnlyOptions).verify()
    }

    private func expectClean(_ report: VerificationReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.isClean, "\(report.discrepancies.map(\.description))", sourceLocation: sourceLocation)
        #expect(report.summary.hasPrefix("ok: "), sourceLocation: sourceLocation)
    }

    // MARK: Clean stores

    @Test func anEmptyStoreIsClean() throws {
        let fixture = try StoreFixture()
        let report = try fixture.store.verify()
        expectClean(report)
        #expect(report.lsn == 0)
        #expect(report.oldest == 1)
        #expect(report.jsonText.hasPrefix("{\"ok\":true,"))
    }

    @Test(arguments: [1, 2, 3, 42] as [UInt64])
    func aRandomMixVerifiesClean(seed: UInt64) throws {
        let fixture = try StoreFixture()
        var random = SeededGenerator(seed: seed)
        let tables = ["users", "orders", "items"]
        let keys = ["1", "2", "3", "4", "5"]
        func change() -> Change {
            let table = Int.random(in: 0..<30, using: &random) == 0 ? "cold" : tables.randomElement(using: &random)!
            if Int.random(in: 0..<5, using: &random) == 0 { return wide(table) }
            return Change(table: table, keys: (0..<Int.random(in: 1...3, using: &random)).map { _ in keys.randomElement(using: &random)! })
        }
        func someDep() -> Dep {
            // Mostly a table that is rarely written, so that many names live on.
            let table = Int.random(in: 0..<4, using: &random) == 0 ? tables.randomElement(using: &random)! : "cold"
            return Bool.random(using: &random) ? dep(table) : dep(table, keys.randomElement(using: &random)!)
        }
        var open: [String] = []
        var names = 0
        for step in 0..<400 {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30:
                try fixture.write([change(), change()].prefix(Int.random(in: 1...2, using: &random)).map { $0 })
            case 30..<45:
                open.append(try fixture.begin([change()], lease: UInt64.random(in: 1_000...60_000, using: &random)).id)
            case 45..<60 where !open.isEmpty:
                let id = open.remove(at: Int.random(in: 0..<open.count, using: &random))
                // It may have expired meanwhile; then the refusal is fine.
                _ = try fixture.outcome(Bool.random(using: &random) ? .commit(intent: id) : .abort(intent: id))
            case 60..<80:
                let stamp = try fixture.stamp()
                names += 1
                _ = try fixture.register(
                    "name\(names % 40)", stamp: stamp, deps: [someDep(), someDep()],
                    ttl: UInt64.random(in: 1_000...120_000, using: &random))
            case 80..<90:
                fixture.clock.advance(by: UInt64.random(in: 1...20_000, using: &random))
                _ = try fixture.housekeeping()
            case 90..<94:
                let lsn = try fixture.lsn
                _ = try fixture.apply(.compact(before: UInt64.random(in: 0...lsn + 1, using: &random)))
            default:
                fixture.clock.advance(by: 500)
            }
            if step % 100 == 99 { expectClean(try fixture.store.verify()) }
        }
        let report = try fixture.store.verify()
        expectClean(report)
        let lsn = try fixture.lsn
        let records = try fixture.records().count
        #expect(report.lsn == lsn)
        #expect(report.records == records)
        // The same answer from a read-only open once the writer is gone.
        let path = fixture.path
        fixture.close()
        let again = try verifyReadOnly(path)
        expectClean(again)
        #expect(again == report)
    }

    // MARK: Corruption, one at a time

    /// A small store with every kind of state, closed: lsn 7, oldest 2, one open intent
    /// (`users:3`, begun at 3), one committed (`orders`, 4 and 5), name `n1` on
    /// `users:1` and `orders` stamped at 5.
    private func knownStore() throws -> (fixture: StoreFixture, openIntent: String) {
        let fixture = try StoreFixture()
        try fixture.write(keyed("users", "1", "2"))                     // 1
        try fixture.write(wide("orders"))                               // 2
        let openIntent = try fixture.begin([keyed("users", "3")]).id     // 3
        let committed = try fixture.begin([wide("orders")]).id           // 4
        #expect(try fixture.commit(committed).lsn == 5)                  // 5
        let registered = try fixture.register("n1", stamp: try fixture.stamp(), deps: [dep("users", "1"), dep("orders")])
        #expect(registered.registered && registered.valid)
        try fixture.write(keyed("users", "2"))                          // 6
        try fixture.write(keyed("items", "9"))                          // 7
        _ = try fixture.apply(.compact(before: 2))
        expectClean(try fixture.store.verify())
        fixture.close()
        return (fixture, openIntent)
    }

    /// Applies `corrupt` to the closed store's LMDB files directly, then verifies read-only.
    private func verifyAfter(
        _ corrupt: (borrowing WriteTransaction, Schema, String) throws -> Void
    ) throws -> [Discrepancy] {
        let (fixture, openIntent) = try knownStore()
        do {
            var options = Environment.Options()
            options.mapSize = StoreFixture.fastOptions.mapSize
            options.maxDatabases = UInt32(Schema.databaseCount)
            let environment = try Environment(path: fixture.path, options: options)
            let schema = try Schema(environment: environment)
            try environment.write { try corrupt($0, schema, openIntent) }
        }
        let report = try verifyReadOnly(fixture.path)
        #expect(!report.isClean)
        #expect(report.summary.hasPrefix("FAILED: "))
        return report.discrepancies
    }

    private func expect(
        _ discrepancies: [Discrepancy], _ kind: Discrepancy.Kind, _ subject: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            discrepancies.contains { $0.kind == kind && $0.subject == subject },
            "no \(kind.rawValue) discrepancy for \(subject) in \(discrepancies.map(\.description))",
            sourceLocation: sourceLocation)
    }

    private static func lsn(_ value: LSN) -> [UInt8] { ByteWriter.bigEndian(value) }

    @Test func aLoweredKeyVersionIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put(Self.lsn(1), forKey: Schema.keyKey(table: "users", key: "2"), in: schema.keys)
        }
        expect(found, .keyVersion, "users:2")
        let discrepancy = found.first { $0.kind == .keyVersion }
        #expect(discrepancy?.expected.hasPrefix("6 ") == true)
        #expect(discrepancy?.found == "1")
        #expect(found.count == 1, "\(found)")
    }

    @Test func aRaisedKeyVersionAlsoInvalidatesTheNameOnIt() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put(Self.lsn(6), forKey: Schema.keyKey(table: "users", key: "1"), in: schema.keys)
        }
        expect(found, .keyVersion, "users:1")
        expect(found, .name, "name n1")
    }

    @Test func aWrongTableVersionIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put(Self.lsn(3) + Self.lsn(0), forKey: Schema.tableKey("items"), in: schema.tables)
        }
        expect(found, .tableVersion, "items")
    }

    @Test func aRecordDeletedInTheMiddleIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.delete(Schema.logKey(4), in: schema.log)
        }
        expect(found, .log, "lsn 4")
    }

    @Test func theLastRecordDeletedIsReportedAsAWrongLSN() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.delete(Schema.logKey(7), in: schema.log)
        }
        expect(found, .meta, "lsn")
        expect(found, .keyVersion, "items:9")
    }

    @Test func aBumpedLSNIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put(Self.lsn(9), forKey: Schema.MetaKey.lsn, in: schema.meta)
        }
        expect(found, .meta, "lsn")
        #expect(found.first?.expected.hasPrefix("7 ") == true)
        #expect(found.first?.found == "9")
    }

    @Test func aWrongOldestIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put(Self.lsn(1), forKey: Schema.MetaKey.oldest, in: schema.meta)
        }
        expect(found, .log, "first record")
    }

    @Test func anUndecodableRecordIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put([1, 0xFF], forKey: Schema.logKey(6), in: schema.log)
        }
        expect(found, .record, "lsn 6")
    }

    @Test func aDroppedNameDepsEntryIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            let deleted = try transaction.delete(Schema.depKey(dep("users", "1")), value: Array("n1".utf8), in: schema.nameDeps)
            #expect(deleted)
        }
        expect(found, .nameDeps, "name n1 dep users:1")
        #expect(found.count == 1, "\(found)")
    }

    @Test func aStrayNameDepsEntryIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put(Array("n1".utf8), forKey: Schema.depKey(dep("items")), in: schema.nameDeps)
            try transaction.put(Array("ghost".utf8), forKey: Schema.depKey(dep("users", "2")), in: schema.nameDeps)
        }
        expect(found, .nameDeps, "dep items -> name n1")
        expect(found, .nameDeps, "dep users:2 -> name ghost")
    }

    @Test func aMissingNameExpiryIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.withCursor(on: schema.nameExpiry) { cursor in
                _ = try cursor.first()
                try cursor.deleteCurrent()
            }
        }
        expect(found, .nameExpiry, "name n1")
    }

    @Test func aChangedPendingCountIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.put(Self.lsn(2) + Self.lsn(0), forKey: Schema.tableKey("users"), in: schema.pendingTables)
        }
        expect(found, .pendingTable, "users")
        #expect(found.count == 1, "\(found)")
    }

    @Test func aDroppedPendingKeyIsReported() throws {
        let found = try verifyAfter { transaction, schema, _ in
            try transaction.delete(Schema.keyKey(table: "users", key: "3"), in: schema.pendingKeys)
        }
        expect(found, .pendingKey, "users:3")
    }

    @Test func anOpenIntentMarkedClosedIsReported() throws {
        var openID = ""
        let found = try verifyAfter { transaction, schema, id in
            openID = id
            let key = Array(id.utf8)
            var intent = try #require(try transaction.withValue(in: schema.intents, forKey: key) {
                try StoredCoding.decodeIntent(id: id, $0)
            })
            intent.state = .committed
            try transaction.put(StoredCoding.encode(intent), forKey: key, in: schema.intents)
        }
        expect(found, .intent, "intent \(openID)")
        expect(found, .pendingTable, "users")
        expect(found, .pendingKey, "users:3")
        expect(found, .intentExpiry, "intent \(openID)")
    }

    @Test func aForgottenOpenIntentIsReported() throws {
        var openID = ""
        let found = try verifyAfter { transaction, schema, id in
            openID = id
            try transaction.delete(Array(id.utf8), in: schema.intents)
        }
        expect(found, .intent, "intent \(openID)")
        expect(found, .intentExpiry, "intent \(openID)")
    }

    @Test func aMissingIntentExpiryIsReported() throws {
        var openID = ""
        let found = try verifyAfter { transaction, schema, id in
            openID = id
            try transaction.withCursor(on: schema.intentExpiry) { cursor in
                _ = try cursor.first()
                try cursor.deleteCurrent()
            }
        }
        expect(found, .intentExpiry, "intent \(openID)")
        #expect(found.count == 1, "\(found)")
    }

    // MARK: Beside a running store

    @Test func verifyWorksReadOnlyBesideARunningStore() throws {
        let fixture = try StoreFixture()
        try fixture.write(keyed("users", "1"))
        let intent = try fixture.begin([wide("orders")]).id
        _ = try fixture.register("n", stamp: try fixture.stamp(), deps: [dep("users", "1")])

        // The writer keeps its directory; a read-only store opens beside it without a lock.
        let reader = try LMDBStore(path: fixture.path, options: Self.readOnlyOptions)
        let first = try reader.verify()
        expectClean(first)
        #expect(first.lsn == 2)
        #expect(first.intents == 1)
        #expect(first.names == 1)

        // The writer goes on writing, and the reader sees it.
        _ = try fixture.commit(intent)
        try fixture.write(keyed("users", "2"))
        let second = try reader.verify()
        expectClean(second)
        #expect(second.lsn == 4)

        // A second writer is still kept out.
        let locked = #expect(throws: StoreError.self) {
            _ = try LMDBStore(path: fixture.path, options: StoreFixture.fastOptions)
        }
        #expect(locked?.code == .locked)
        withExtendedLifetime(reader) {}
    }
}
