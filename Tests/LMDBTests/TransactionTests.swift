import Foundation
import LMDB
import Testing

@Suite("Transactions")
struct TransactionTests {
    @Test func putGetAndDelete() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)

        try environment.write { (transaction) throws in
            try transaction.put(bytes("one"), forKey: bytes("a"), in: database)
            try transaction.put(bytes("two"), forKey: bytes("b"), in: database)
            // A write transaction reads its own uncommitted changes.
            #expect(try transaction.value(in: database, forKey: bytes("a")) == bytes("one"))
            #expect(try transaction.count(of: database) == 2)
        }
        #expect(try environment.string(in: database, forKey: "a") == "one")
        #expect(try environment.string(in: database, forKey: "b") == "two")
        #expect(try environment.string(in: database, forKey: "c") == nil)
        try environment.read { (transaction) throws in
            #expect(try transaction.contains(bytes("a"), in: database))
            #expect(try !transaction.contains(bytes("c"), in: database))
            #expect(try transaction.count(of: database) == 2)
            let length = try transaction.withValue(in: database, forKey: bytes("b")) { $0.count }
            #expect(length == 3)
        }

        // Overwrite, delete an existing and a missing key.
        let deleted = try environment.write { (transaction) throws in
            try transaction.put(bytes("uno"), forKey: bytes("a"), in: database)
            let existing = try transaction.delete(bytes("b"), in: database)
            let missing = try transaction.delete(bytes("zzz"), in: database)
            return (existing, missing)
        }
        #expect(deleted.0 == true)
        #expect(deleted.1 == false)
        #expect(try environment.entries(of: database) == ["a=uno"])
    }

    @Test func emptyValuesAreStoredAndDistinctFromMissing() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        try environment.write { try $0.put([], forKey: bytes("empty"), in: database) }
        try environment.read { (transaction) throws in
            #expect(try transaction.value(in: database, forKey: bytes("empty")) == [])
            #expect(try transaction.contains(bytes("empty"), in: database))
            #expect(try transaction.value(in: database, forKey: bytes("other")) == nil)
        }
    }

    @Test func writeClosureReturnsItsResult() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        let result = try environment.write { (transaction) throws in
            try transaction.put(bytes("v"), forKey: bytes("k"), in: database)
            return 42
        }
        #expect(result == 42)
    }

    @Test func aThrownErrorRollsTheWholeTransactionBack() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        try environment.write { try $0.put(bytes("kept"), forKey: bytes("a"), in: database) }

        #expect(throws: Rollback.self) {
            try environment.write { (transaction) throws in
                try transaction.put(bytes("changed"), forKey: bytes("a"), in: database)
                try transaction.put(bytes("new"), forKey: bytes("b"), in: database)
                try transaction.delete(bytes("a"), in: database)
                throw Rollback()
            }
        }
        #expect(try environment.entries(of: database) == ["a=kept"])

        // The writer lock was released: the next write goes through.
        try environment.write { try $0.put(bytes("after"), forKey: bytes("c"), in: database) }
        #expect(try environment.entries(of: database) == ["a=kept", "c=after"])
    }

    @Test func readSnapshotDoesNotSeeLaterCommits() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        try environment.write { try $0.put(bytes("1"), forKey: bytes("a"), in: database) }

        try environment.read { (snapshot) throws in
            try environment.write { (transaction) throws in
                try transaction.put(bytes("2"), forKey: bytes("a"), in: database)
                try transaction.put(bytes("x"), forKey: bytes("b"), in: database)
            }
            #expect(try snapshot.value(in: database, forKey: bytes("a")) == bytes("1"))
            #expect(try snapshot.value(in: database, forKey: bytes("b")) == nil)
            #expect(try snapshot.count(of: database) == 1)
        }
        #expect(try environment.string(in: database, forKey: "a") == "2")
        #expect(try environment.string(in: database, forKey: "b") == "x")
    }

    @Test func committedDataSurvivesReopen() throws {
        let scratch = try ScratchDirectory()
        do {
            let environment = try scratch.open()
            let database = try environment.openDatabase(named: "main", flags: .create)
            let other = try environment.openDatabase(named: "other", flags: .create)
            try environment.write { (transaction) throws in
                for index in 0..<100 {
                    try transaction.put(bytes("value \(index)"), forKey: bytes(String(format: "key%03d", index)), in: database)
                }
                try transaction.put(bytes("o"), forKey: bytes("only-in-other"), in: other)
            }
            #expect(throws: Rollback.self) {
                try environment.write { (transaction) throws in
                    try transaction.put(bytes("lost"), forKey: bytes("lost"), in: database)
                    throw Rollback()
                }
            }
        }
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main")
        let other = try environment.openDatabase(named: "other")
        let entries = try environment.entries(of: database)
        #expect(entries.count == 100)
        #expect(entries.first == "key000=value 0")
        #expect(entries.last == "key099=value 99")
        #expect(try environment.string(in: database, forKey: "lost") == nil)
        #expect(try environment.string(in: other, forKey: "only-in-other") == "o")
        #expect(try environment.string(in: database, forKey: "only-in-other") == nil)
    }

    @Test func nonDurableCommitsAreVisibleAndSyncFlushesThem() throws {
        let scratch = try ScratchDirectory()
        do {
            let environment = try scratch.open { $0.durable = false }
            let database = try environment.openDatabase(named: "main", flags: .create)
            try environment.write { try $0.put(bytes("v"), forKey: bytes("k"), in: database) }
            #expect(try environment.string(in: database, forKey: "k") == "v")
            try environment.sync()
        }
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main")
        #expect(try environment.string(in: database, forKey: "k") == "v")
    }

    @Test func openingAMissingDatabaseWithoutCreateFails() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let error = #expect(throws: LMDBError.self) {
            _ = try environment.openDatabase(named: "missing")
        }
        #expect(error?.code == .notFound)
    }

    @Test func duplicateSortedDatabaseKeepsSortedDistinctValues() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "dups", flags: [.create, .duplicateSort])
        try environment.write { (transaction) throws in
            for value in ["c", "a", "b", "a"] {
                try transaction.put(bytes(value), forKey: bytes("k"), in: database)
            }
            try transaction.put(bytes("z"), forKey: bytes("other"), in: database)
        }
        #expect(try environment.entries(of: database) == ["k=a", "k=b", "k=c", "other=z"])

        // Deleting one pair leaves the key's other values; deleting the key drops them all.
        try environment.write { (transaction) throws in
            #expect(try transaction.delete(bytes("k"), value: bytes("b"), in: database))
            #expect(try !transaction.delete(bytes("k"), value: bytes("nope"), in: database))
        }
        #expect(try environment.entries(of: database) == ["k=a", "k=c", "other=z"])
        try environment.write { (transaction) throws in
            #expect(try transaction.delete(bytes("k"), in: database))
        }
        #expect(try environment.entries(of: database) == ["other=z"])
    }

    @Test func mapFullFailsTheTransactionAndKeepsEarlierData() throws {
        let scratch = try ScratchDirectory()
        let value = [UInt8](repeating: 0xAB, count: 1000)
        var committed = 0
        do {
            let environment = try scratch.open { $0.mapSize = 64 << 10 }
            let database = try environment.openDatabase(named: "main", flags: .create)

            var failure: LMDBError?
            while committed < 1000 {
                do {
                    try environment.write { transaction in
                        try transaction.put(value, forKey: bytes(String(format: "key%04d", committed)), in: database)
                    }
                    committed += 1
                } catch let error as LMDBError {
                    failure = error
                    break
                }
            }
            #expect(failure?.code == .mapFull)
            #expect(committed > 5, "a 64 KiB map holds a few 1000-byte values")
            #expect(committed < 1000)

            // A failed multi-put transaction wrote none of its puts.
            let before = try environment.entries(of: database)
            let error = #expect(throws: LMDBError.self) {
                try environment.write { transaction in
                    try transaction.put(bytes("small"), forKey: bytes("aaa-first"), in: database)
                    for index in 0..<100 {
                        try transaction.put(value, forKey: bytes("more\(index)"), in: database)
                    }
                }
            }
            #expect(error?.code == .mapFull)
            #expect(try environment.entries(of: database) == before)

            // Every committed value is intact.
            try environment.read { (transaction) throws in
                #expect(try transaction.count(of: database) == committed)
                for index in 0..<committed {
                    #expect(try transaction.value(in: database, forKey: bytes(String(format: "key%04d", index))) == value)
                }
            }
        }

        // Reopened with a larger map, the same data takes writes again.
        let environment = try scratch.open { $0.mapSize = 4 << 20 }
        let database = try environment.openDatabase(named: "main")
        try environment.write { try $0.put(bytes("fits"), forKey: bytes("after"), in: database) }
        #expect(try environment.string(in: database, forKey: "after") == "fits")
        #expect(try environment.entries(of: database).count == committed + 1)
        #expect(try environment.string(in: database, forKey: "aaa-first") == nil)
    }

    @Test func mapFullAfterReopeningWithATinyMap() throws {
        let scratch = try ScratchDirectory()
        do {
            let environment = try scratch.open()
            let database = try environment.openDatabase(named: "main", flags: .create)
            try environment.write { (transaction) throws in
                for index in 0..<20 {
                    try transaction.put(bytes("value \(index)"), forKey: bytes("key\(index)"), in: database)
                }
            }
        }
        let environment = try scratch.open { $0.mapSize = 64 << 10 }
        let database = try environment.openDatabase(named: "main")
        let big = [UInt8](repeating: 1, count: 2000)
        let error = #expect(throws: LMDBError.self) {
            for index in 0..<1000 {
                try environment.write { try $0.put(big, forKey: bytes("big\(index)"), in: database) }
            }
        }
        #expect(error?.code == .mapFull)
        for index in 0..<20 {
            #expect(try environment.string(in: database, forKey: "key\(index)") == "value \(index)")
        }
    }

    @Test func oversizedAndEmptyKeysAreRefused() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        #expect(environment.maxKeySize == 511)

        let longKey = [UInt8](repeating: UInt8(ascii: "k"), count: environment.maxKeySize + 1)
        let tooLong = #expect(throws: LMDBError.self) {
            try environment.write { try $0.put(bytes("v"), forKey: longKey, in: database) }
        }
        #expect(tooLong?.code == .keyTooLong)

        let empty = #expect(throws: LMDBError.self) {
            try environment.write { try $0.put(bytes("v"), forKey: [], in: database) }
        }
        #expect(empty?.code == .badValueSize)

        let longestKey = [UInt8](repeating: UInt8(ascii: "k"), count: environment.maxKeySize)
        try environment.write { try $0.put(bytes("v"), forKey: longestKey, in: database) }
        #expect(try environment.entries(of: database).count == 1)
    }

    @Test func infoReportsMapAndPages() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open { $0.mapSize = 8 << 20 }
        let database = try environment.openDatabase(named: "main", flags: .create)
        let before = try environment.info()
        #expect(before.mapSize == 8 << 20)
        #expect(before.pageSize >= 4096)
        try environment.write { (transaction) throws in
            for index in 0..<200 {
                try transaction.put([UInt8](repeating: 7, count: 500), forKey: bytes("k\(index)"), in: database)
            }
        }
        let after = try environment.info()
        #expect(after.usedBytes > before.usedBytes)
        #expect(after.usedBytes >= 200 * 500)
    }

    @Test func readOnlyEnvironmentReadsButCannotWrite() throws {
        let scratch = try ScratchDirectory()
        do {
            let environment = try scratch.open()
            let database = try environment.openDatabase(named: "main", flags: .create)
            try environment.write { try $0.put(bytes("v"), forKey: bytes("k"), in: database) }
        }
        let environment = try scratch.open { $0.readOnly = true }
        let database = try environment.openDatabase(named: "main")
        #expect(try environment.string(in: database, forKey: "k") == "v")
        #expect(throws: LMDBError.self) {
            try environment.write { try $0.put(bytes("w"), forKey: bytes("k"), in: database) }
        }
        #expect(try environment.string(in: database, forKey: "k") == "v")
    }

    @Test func concurrentReadersSeeWholeCommits() async throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open { $0.durable = false }
        let database = try environment.openDatabase(named: "main", flags: .create)
        // Every commit writes the same number under keys a and b: a reader must never
        // see them differ.
        try environment.write { (transaction) throws in
            try transaction.put(bytes("0"), forKey: bytes("a"), in: database)
            try transaction.put(bytes("0"), forKey: bytes("b"), in: database)
        }
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for round in 1...300 {
                    try environment.write { (transaction) throws in
                        try transaction.put(bytes("\(round)"), forKey: bytes("a"), in: database)
                        try transaction.put(bytes("\(round)"), forKey: bytes("b"), in: database)
                    }
                }
                return 0
            }
            for _ in 0..<4 {
                group.addTask {
                    var mismatches = 0
                    var last = 0
                    for _ in 0..<300 {
                        let (a, b) = try environment.read { (transaction) throws in
                            (try transaction.value(in: database, forKey: bytes("a"))!,
                             try transaction.value(in: database, forKey: bytes("b"))!)
                        }
                        if a != b { mismatches += 1 }
                        let seen = Int(String(decoding: a, as: UTF8.self))!
                        if seen < last { mismatches += 1 }
                        last = seen
                    }
                    return mismatches
                }
            }
            var total = 0
            for try await mismatches in group { total += mismatches }
            #expect(total == 0)
        }
        #expect(try environment.string(in: database, forKey: "a") == "300")
    }
}
