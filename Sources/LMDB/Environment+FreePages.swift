import CLMDB

extension Environment {
    /// Pages on LMDB's free list: inside the file, but free for new data (some only once
    /// the readers of older snapshots are gone). Reads the whole list, so call it only
    /// when the file is near its size limit.
    public func freePageCount() throws -> Int {
        try read { transaction in
            // DBI 0 is LMDB's own free-list database: each value is a page-number list
            // whose first word is its length.
            try transaction.withCursor(on: Database(dbi: 0)) { cursor in
                var total = 0
                var entry = try cursor.first()
                while let current = entry {
                    if current.value.count >= MemoryLayout<Int>.size {
                        total += Int(current.value.loadUnaligned(as: UInt.self))
                    }
                    entry = try cursor.next()
                }
                return total
            }
        }
    }
}
