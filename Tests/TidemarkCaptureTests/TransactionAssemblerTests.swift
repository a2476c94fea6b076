import Testing
import TidemarkStore
@testable import TidemarkCapture

@Suite("From pgoutput messages to records")
struct TransactionAssemblerTests {
    typealias Message = PgOutputMessage

    private static func relation(_ id: UInt32, _ name: String, identity: Character = "d", keys: [Bool]) -> Message {
        .relation(Message.Relation(
            id: id, namespace: "public", name: name, replicaIdentity: UInt8(ascii: identity.unicodeScalars.first!),
            columns: keys.enumerated().map { Message.Column(name: "c\($0.offset)", isKey: $0.element) }))
    }

    private static func row(_ values: String?...) -> [Message.Value] {
        values.map { $0.map { .text(Array($0.utf8)) } ?? .null }
    }

    private func run(_ messages: [Message]) -> CapturedTransaction? {
        run(TransactionAssembler.Options(), messages)
    }

    private func run(_ options: TransactionAssembler.Options, _ messages: [Message]) -> CapturedTransaction? {
        var assembler = TransactionAssembler(options: options)
        var finished: CapturedTransaction?
        for message in [.begin(commitLSN: 100, commitTime: 0, xid: 7)] + messages + [.commit(commitLSN: 100, endLSN: 120, commitTime: 5)] {
            if let transaction = assembler.handle(message) { finished = transaction }
        }
        return finished
    }

    @Test func rowsBecomeKeysAndTheTransactionOneRecord() throws {
        let transaction = try #require(run([
            Self.relation(1, "items", keys: [true, false]),
            Self.relation(2, "tags", keys: [true, true, false]),
            .insert(relation: 1, new: Self.row("2", "b")),
            .insert(relation: 1, new: Self.row("1", "a")),
            .update(relation: 1, old: Self.row("3", nil), new: Self.row("4", "x")),
            .delete(relation: 1, old: Self.row("1", nil)),
            .insert(relation: 2, new: Self.row("1", "a,\"b", "z")),
        ]))
        #expect(transaction.xid == 7 && transaction.commitLSN == 100 && transaction.endLSN == 120)
        #expect(transaction.commitTime == PostgresTime.unixOffsetMicroseconds + 5)
        #expect(transaction.changes == [
            Change(table: "items", keys: ["1", "2", "3", "4"]),
            Change(table: "tags", keys: [#"["1","a,\"b"]"#]),
        ])
    }

    @Test func tablesWithoutAPrimaryKeyInTheStreamAreWide() throws {
        let transaction = try #require(run([
            Self.relation(1, "nokey", keys: [false]),
            Self.relation(2, "full", identity: "f", keys: [true, true]),
            Self.relation(3, "byindex", identity: "i", keys: [true, false]),
            .insert(relation: 1, new: Self.row("1")),
            .update(relation: 2, old: Self.row("1", "2"), new: Self.row("1", "3")),
            .delete(relation: 3, old: Self.row("5", nil)),
        ]))
        #expect(transaction.changes == [Change(table: "byindex"), Change(table: "full"), Change(table: "nokey")])
    }

    @Test func truncateIsWideAndWins() throws {
        let transaction = try #require(run([
            Self.relation(1, "items", keys: [true]),
            .insert(relation: 1, new: Self.row("1")),
            .truncate(relations: [1]),
            .insert(relation: 1, new: Self.row("2")),
        ]))
        #expect(transaction.changes == [Change(table: "items")])
    }

    @Test func keysThatCannotBeKeysMakeTheTableWide() throws {
        let long = String(repeating: "k", count: StoreLimits().maxKeyBytes + 1)
        for value in ["", long] {
            let transaction = try #require(run([Self.relation(1, "t", keys: [true]), .insert(relation: 1, new: Self.row(value))]))
            #expect(transaction.changes == [Change(table: "t")])
        }
        let unchanged = try #require(run([
            Self.relation(1, "t", keys: [true, false]),
            .update(relation: 1, old: nil, new: [.unchangedToast, .text([0x61])]),
        ]))
        #expect(unchanged.changes == [Change(table: "t")])
    }

    @Test func largeTransactionsFallBackToWideChanges() throws {
        var options = TransactionAssembler.Options()
        options.maxKeysPerTable = 3
        let rows: [Message] = (1...4).map { .insert(relation: 1, new: Self.row("\($0)")) }
        let perTable = try #require(run(options, [
            Self.relation(1, "big", keys: [true]), Self.relation(2, "small", keys: [true]),
        ] + rows + [.insert(relation: 2, new: Self.row("9"))]))
        #expect(perTable.changes == [Change(table: "big"), Change(table: "small", keys: ["9"])])

        options.maxKeysPerTable = 1000
        options.maxKeyBytes = 10
        let inserts: [Message] = (1...6).map { .insert(relation: $0 % 2 == 0 ? 1 : 2, new: Self.row("key\($0)")) }
        let byBytes = try #require(run(options, [Self.relation(1, "a", keys: [true]), Self.relation(2, "b", keys: [true])] + inserts))
        #expect(byBytes.changes == [Change(table: "a"), Change(table: "b")])

        options.maxKeyBytes = 1 << 20
        options.maxChanges = 2
        var tables: [Message] = []
        for id in UInt32(1)...3 {
            tables += [Self.relation(id, "t\(id)", keys: [true]), .insert(relation: id, new: Self.row("1"))]
        }
        let manyTables = try #require(run(options, tables))
        #expect(manyTables.changes == [Change(table: "tidemark_django.all")])
    }

    @Test func anUnknownRelationOrAnUnreadableMessageMeansEverything() throws {
        #expect(run([.insert(relation: 42, new: Self.row("1"))])?.changes == [Change(table: "tidemark_django.all")])
        var assembler = TransactionAssembler(options: .init())
        _ = assembler.handle(.begin(commitLSN: 1, commitTime: 0, xid: 1))
        assembler.markUnreadable()
        let committed = assembler.handle(.commit(commitLSN: 1, endLSN: 2, commitTime: 0))
        #expect(committed?.changes == [Change(table: "tidemark_django.all")])
    }

    @Test func theFilterAndTheNamespaceApply() throws {
        var options = TransactionAssembler.Options()
        options.tables = ["items", "other.logs"]
        options.namespace = "app"
        let transaction = try #require(run(options, [
            Self.relation(1, "items", keys: [true]), Self.relation(2, "skipped", keys: [true]),
            .relation(Message.Relation(id: 3, namespace: "other", name: "logs", replicaIdentity: UInt8(ascii: "d"),
                                       columns: [Message.Column(name: "id", isKey: true)])),
            .insert(relation: 1, new: Self.row("1")), .insert(relation: 2, new: Self.row("1")), .insert(relation: 3, new: Self.row("5")),
        ]))
        #expect(transaction.changes == [Change(table: "app.items", keys: ["1"]), Change(table: "app.logs", keys: ["5"])])
        #expect(run(options, [Self.relation(2, "skipped", keys: [true]), .insert(relation: 2, new: Self.row("1"))])?.changes == [])
    }
}
