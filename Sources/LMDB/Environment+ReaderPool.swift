import CLMDB
import Synchronization

/// Reset read transactions kept for reuse. Beginning a reader searches LMDB's reader table
/// under its inter-process mutex; renewing a reset one reuses its slot and takes no lock,
/// which is most of the cost of a short snapshot.
@usableFromInline
final class ReaderPool: Sendable {
    // Kept as bit patterns (OpaquePointer is not Sendable): each handle is used by one
    // `pooledRead` at a time, between taking it out of the pool and giving it back.
    // One handle sits in an atomic slot (0 when empty): a single-threaded reader takes and
    // gives it back with one atomic exchange each, no lock. More readers at once share
    // the locked list.
    private let slot = Atomic<UInt>(0)
    private let handles = Mutex<[UInt]>([])

    @usableFromInline
    func take() -> OpaquePointer? {
        let fast = slot.exchange(0, ordering: .acquiring)
        if fast != 0 { return OpaquePointer(bitPattern: fast) }
        return handles.withLock { $0.popLast() }.flatMap { OpaquePointer(bitPattern: $0) }
    }

    @usableFromInline
    func give(_ handle: OpaquePointer) {
        let bits = UInt(bitPattern: handle)
        guard !slot.compareExchange(expected: 0, desired: bits, ordering: .releasing).exchanged else { return }
        handles.withLock { $0.append(bits) }
    }

    /// Ends every kept reader; called before the environment closes.
    func drain() {
        var kept = handles.withLock { list in
            defer { list = [] }
            return list
        }
        let fast = slot.exchange(0, ordering: .acquiring)
        if fast != 0 { kept.append(fast) }
        for bits in kept { mdb_txn_abort(OpaquePointer(bitPattern: bits)) }
    }
}

extension Environment {
    /// Runs `body` in a read-only snapshot on a reader slot kept from an earlier call, so
    /// that frequent short reads (a local reader's checks) do not register a new reader
    /// each time. Between calls the slot holds no snapshot and pins no pages.
    ///
    /// Inlinable so that a caller in another module runs it specialised for its result.
    @inlinable
    public func pooledRead<Result>(_ body: (borrowing ReadTransaction) throws -> Result) throws -> Result {
        let handle = try readerPool.take() ?? newResetReader()
        let result: Result
        do {
            result = try Self.renewAndRead(handle, body)
        } catch let error as LMDBError where error.operation == "mdb_txn_renew" {
            // A reader that cannot be renewed (the map was resized) is not kept.
            mdb_txn_abort(handle)
            throw error
        } catch {
            readerPool.give(handle)
            throw error
        }
        readerPool.give(handle)
        return result
    }

    /// The snapshot ends (is reset) when this returns, before the handle goes back to the pool.
    @usableFromInline
    static func renewAndRead<Result>(
        _ handle: OpaquePointer, _ body: (borrowing ReadTransaction) throws -> Result
    ) throws -> Result {
        let transaction = try ReadTransaction(renewing: handle)
        return try body(transaction)
    }

    @usableFromInline
    func newResetReader() throws(LMDBError) -> OpaquePointer {
        var transaction: OpaquePointer?
        try LMDBError.check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &transaction), "mdb_txn_begin(read)")
        mdb_txn_reset(transaction)
        return transaction!
    }
}
