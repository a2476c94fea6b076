import Foundation
import LMDB
import Testing

@Suite("Cursors")
struct CursorTests {
    /// An environment with `main` holding keys b, d, f (values B, D, F) and a duplicate-sorted
    /// `dups` holding k1 -> {x, y, z}, k2 -> {w}, k3 -> {a, b}.
    private func makeEnvironment(_ scratch: ScratchDirectory) throws -> (Environment, Database, Database) {
        let environment = try scratch.open()
        let main = try environment.openDatabase(named: "main", flags: .create)
        let dups = try environment.openDatabase(named: "dups", flags: [.create, .duplicateSort])
        try environment.write { (transaction) throws in
            for key in ["f", "b", "d"] {
                try transaction.put(bytes(key.uppercased()), forKey: bytes(key), in: main)
            }
            for (key, value) in [("k1", "z"), ("k1", "x"), ("k2", "w"), ("k1", "y"), ("k3", "b"), ("k3", "a")] {
                try transaction.put(bytes(value), forKey: bytes(key), in: dups)
            }
        }
        return (environment, main, dups)
    }

    @Test func walksForwardAndBackwardInKeyOrder() throws {
        let scratch = try ScratchDirectory()
        let (environment, main, _) = try makeEnvironment(scratch)
        try environment.read { (transaction) throws in
            try transaction.withCursor(on: main) { (cursor) throws in
                #expect(try cursor.first().map { text($0.key) } == "b")
                #expect(try cursor.next().map { text($0.key) } == "d")
                #expect(try cursor.next().map { text($0.value) } == "F")
                #expect(try cursor.next() == nil)
                #expect(try cursor.last().map { text($0.key) } == "f")
                #expect(try cursor.previous().map { text($0.key) } == "d")
                #expect(try cursor.previous().map { text($0.key) } == "b")
                #expect(try cursor.previous() == nil)
            }
        }
    }

    @Test func keysSortAsUnsignedBytes() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        let keys: [[UInt8]] = [[0xFF], [0x00, 0x01], [0x01], [0x00], [0x80, 0x00], [0x7F]]
        try environment.write { (transaction) throws in
            for key in keys { try transaction.put([], forKey: key, in: database) }
        }
        let order = try environment.read { (transaction) throws in
            try transaction.withCursor(on: database) { (cursor) throws in
                var result: [[UInt8]] = []
                var entry = try cursor.first()
                while let current = entry {
                    result.append(current.keyBytes)
                    entry = try cursor.next()
                }
                return result
            }
        }
        #expect(order == [[0x00], [0x00, 0x01], [0x01], [0x7F], [0x80, 0x00], [0xFF]])
    }

    @Test func emptyDatabaseHasNoEntries() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "empty", flags: .create)
        try environment.read { (transaction) throws in
            try transaction.withCursor(on: database) { (cursor) throws in
                #expect(try cursor.first() == nil)
                #expect(try cursor.last() == nil)
                #expect(try cursor.seek(atLeast: bytes("a")) == nil)
                #expect(try cursor.seek(exactly: bytes("a")) == nil)
            }
        }
    }

    @Test func seekAtLeastFindsTheFirstKeyNotBelow() throws {
        let scratch = try ScratchDirectory()
        let (environment, main, _) = try makeEnvironment(scratch)
        try environment.read { (transaction) throws in
            try transaction.withCursor(on: main) { (cursor) throws in
                #expect(try cursor.seek(atLeast: bytes("d")).map { text($0.key) } == "d")
                #expect(try cursor.seek(atLeast: bytes("c")).map { text($0.key) } == "d")
                #expect(try cursor.seek(atLeast: bytes("a")).map { text($0.key) } == "b")
                #expect(try cursor.seek(atLeast: bytes("dd")).map { text($0.key) } == "f")
                #expect(try cursor.seek(atLeast: bytes("g")) == nil)
                // The cursor continues from where a seek put it.
                _ = try cursor.seek(atLeast: bytes("c"))
                #expect(try cursor.next().map { text($0.key) } == "f")
            }
        }
    }

    @Test func seekExactlyFindsOnlyThatKey() throws {
        let scratch = try ScratchDirectory()
        let (environment, main, dups) = try makeEnvironment(scratch)
        try environment.read { (transaction) throws in
            try transaction.withCursor(on: main) { (cursor) throws in
                let found = try cursor.seek(exactly: bytes("d"))
                #expect(found.map { text($0.key) } == "d")
                #expect(found.map { text($0.value) } == "D")
                #expect(try cursor.seek(exactly: bytes("c")) == nil)
                #expect(try cursor.seek(exactly: bytes("dd")) == nil)
            }
            try transaction.withCursor(on: dups) { (cursor) throws in
                // The first (smallest) value of a duplicate-sorted key.
                #expect(try cursor.seek(exactly: bytes("k1")).map { text($0.value) } == "x")
            }
        }
    }

    @Test func duplicatesComeSortedAndNextDuplicateStopsAtTheKeyEnd() throws {
        let scratch = try ScratchDirectory()
        let (environment, _, dups) = try makeEnvironment(scratch)
        try environment.read { (transaction) throws in
            try transaction.withCursor(on: dups) { (cursor) throws in
                var values: [String] = []
                var entry = try cursor.seek(exactly: bytes("k1"))
                while let current = entry {
                    #expect(text(current.key) == "k1")
                    values.append(text(current.value))
                    entry = try cursor.nextDuplicate()
                }
                #expect(values == ["x", "y", "z"])
            }
            // `next` walks through every value of every key.
            try transaction.withCursor(on: dups) { (cursor) throws in
                var pairs: [String] = []
                var entry = try cursor.first()
                while let current = entry {
                    pairs.append(text(current.key) + "=" + text(current.value))
                    entry = try cursor.next()
                }
                #expect(pairs == ["k1=x", "k1=y", "k1=z", "k2=w", "k3=a", "k3=b"])
            }
            #expect(try transaction.count(of: dups) == 6)
        }
    }

    @Test func deleteCurrentThenNextContinuesAtTheFollowingEntry() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        // Enough entries to span many pages, so deletions cross page boundaries.
        let count = 3000
        let key = { (index: Int) in bytes(String(format: "key%05d", index)) }
        try environment.write { (transaction) throws in
            for index in 0..<count {
                try transaction.put([UInt8](repeating: UInt8(index % 251), count: 40), forKey: key(index), in: database)
            }
        }
        // Delete every entry whose index is a multiple of 3, visiting each entry once.
        let visited = try environment.write { (transaction) throws in
            try transaction.withCursor(on: database) { (cursor) throws in
                var visited: [String] = []
                var entry = try cursor.first()
                while let current = entry {
                    let name = text(current.key)
                    visited.append(name)
                    if Int(name.dropFirst(3))! % 3 == 0 {
                        try cursor.deleteCurrent()
                    }
                    entry = try cursor.next()
                }
                return visited
            }
        }
        #expect(visited.count == count)
        #expect(visited == (0..<count).map { String(format: "key%05d", $0) })
        let remaining = try environment.entries(of: database).map { String($0.prefix(8)) }
        #expect(remaining == (0..<count).filter { $0 % 3 != 0 }.map { String(format: "key%05d", $0) })
    }

    @Test func deletingARunFromASeekPositionStopsAtTheBound() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        try environment.write { (transaction) throws in
            for index in 0..<500 {
                try transaction.put(bytes("v"), forKey: bytes(String(format: "%04d", index)), in: database)
            }
        }
        // The shape compaction uses: seek, delete while below a bound.
        try environment.write { (transaction) throws in
            try transaction.withCursor(on: database) { (cursor) throws in
                var entry = try cursor.seek(atLeast: bytes("0100"))
                while let current = entry, text(current.key) < "0400" {
                    try cursor.deleteCurrent()
                    entry = try cursor.next()
                }
                #expect(entry.map { text($0.key) } == "0400")
            }
        }
        let keys = try environment.entries(of: database).map { String($0.prefix(4)) }
        #expect(keys == ((0..<100).map { $0 } + (400..<500).map { $0 }).map { String(format: "%04d", $0) })
    }

    @Test func deleteCurrentInDuplicatesRemovesOneValue() throws {
        let scratch = try ScratchDirectory()
        let (environment, _, dups) = try makeEnvironment(scratch)
        try environment.write { (transaction) throws in
            try transaction.withCursor(on: dups) { (cursor) throws in
                var entry = try cursor.seek(exactly: bytes("k1"))
                while let current = entry {
                    if text(current.value) == "y" { try cursor.deleteCurrent() }
                    entry = try cursor.next()
                }
            }
        }
        #expect(try environment.entries(of: dups) == ["k1=x", "k1=z", "k2=w", "k3=a", "k3=b"])
    }

    @Test func deleteCurrentOfTheLastEntryEndsTheWalk() throws {
        let scratch = try ScratchDirectory()
        let (environment, main, _) = try makeEnvironment(scratch)
        try environment.write { (transaction) throws in
            try transaction.withCursor(on: main) { (cursor) throws in
                _ = try cursor.last()
                try cursor.deleteCurrent()
                #expect(try cursor.next() == nil)
            }
        }
        #expect(try environment.entries(of: main) == ["b=B", "d=D"])
    }

    @Test func cursorSeesTheWriteTransactionsOwnChanges() throws {
        let scratch = try ScratchDirectory()
        let (environment, main, _) = try makeEnvironment(scratch)
        try environment.write { (transaction) throws in
            try transaction.put(bytes("C"), forKey: bytes("c"), in: main)
            try transaction.delete(bytes("d"), in: main)
            let keys = try transaction.withCursor(on: main) { (cursor) throws in
                var keys: [String] = []
                var entry = try cursor.first()
                while let current = entry {
                    keys.append(text(current.key))
                    entry = try cursor.next()
                }
                return keys
            }
            #expect(keys == ["b", "c", "f"])
        }
    }

    @Test func entryPrefixTest() throws {
        let scratch = try ScratchDirectory()
        let environment = try scratch.open()
        let database = try environment.openDatabase(named: "main", flags: .create)
        try environment.write { try $0.put(bytes("v"), forKey: bytes("table:key"), in: database) }
        try environment.read { (transaction) throws in
            try transaction.withCursor(on: database) { (cursor) throws in
                let entry = try #require(try cursor.first())
                #expect(entry.keyHasPrefix(bytes("table:")))
                #expect(entry.keyHasPrefix(bytes("table:key")))
                #expect(entry.keyHasPrefix([]))
                #expect(!entry.keyHasPrefix(bytes("table:key!")))
                #expect(!entry.keyHasPrefix(bytes("tabla")))
                #expect(entry.keyBytes == bytes("table:key"))
                #expect(entry.valueBytes == bytes("v"))
            }
        }
    }
}
