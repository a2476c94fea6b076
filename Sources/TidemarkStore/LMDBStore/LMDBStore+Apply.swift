import LMDB

extension LMDBStore {
    /// What one batch has done so far inside its transaction.
    struct BatchState {
        var lsn: LSN
        /// The batch's wall time. An import sets it to each record's own time.
        var now: Milliseconds
        var records: [CommittedRecord] = []
        /// Intents this batch expired, wherever in the batch that happened.
        var expiredIntents = 0
        /// Whether a `compact` in this batch dropped records (and so freed pages).
        var freedPages = false

        mutating func nextLSN() -> LSN {
            lsn += 1
            return lsn
        }

        /// `now + duration`, saturating: a lease or TTL too large to add never traps, it
        /// just never ends.
        func deadline(after duration: Milliseconds) -> Milliseconds {
            let (sum, overflow) = now.addingReportingOverflow(duration)
            return overflow ? .max : sum
        }
    }

    public func apply(_ batch: [MutationRequest]) throws(StoreError) -> AppliedBatch {
        let now = clock()
        var freedPages = false
        if batch.contains(where: { !$0.mutation.mayUseReserve }),
            !(try guarded("cannot read the free space") { try leavesReserve() })
        {
            throw StoreError(.storageFull, "the data file is at its size limit (the rest is kept for compaction); nothing was written")
        }
        let applied = try guarded("cannot write") {
            try write { transaction in
                let startLSN = try currentLSN(in: transaction)
                var state = BatchState(lsn: startLSN, now: now)
                // A lease that ended is expired before anything else in the batch, so a
                // late `commit` finds the intent expired even if housekeeping has not run.
                try expireDueIntents(state: &state, in: transaction)
                var outcomes: [Result<MutationOutcome, StoreError>] = []
                outcomes.reserveCapacity(batch.count)
                for request in batch {
                    do {
                        outcomes.append(.success(try apply(request, state: &state, in: transaction)))
                    } catch let error as StoreError where error.isRequestFault {
                        // Each mutation checks its rules before it writes, so a refused
                        // one has left nothing behind in the shared transaction.
                        outcomes.append(.failure(error))
                    }
                }
                if state.lsn != startLSN {
                    try transaction.put(ByteWriter.bigEndian(state.lsn), forKey: Schema.MetaKey.lsn, in: schema.meta)
                }
                freedPages = state.freedPages
                return AppliedBatch(outcomes: outcomes, records: state.records)
            }
        }
        if freedPages { settleAfterCompaction() }
        return applied
    }

    /// LMDB reuses the pages a transaction frees only from the second transaction after
    /// it. With the map full, the write right after a compaction could then find no page
    /// and fail, and so could every later one, since a failed transaction commits nothing:
    /// full for good despite the space compaction freed. This tiny commit, touching one
    /// meta value, is that intermediate transaction. If even it cannot fit, nothing is
    /// lost, and the next commit that does fit plays the same part.
    private func settleAfterCompaction() {
        _ = try? write { transaction in
            let oldest = try transaction.value(in: schema.meta, forKey: Schema.MetaKey.oldest) ?? []
            try transaction.put(oldest, forKey: Schema.MetaKey.oldest, in: schema.meta)
        }
    }

    private func apply(
        _ request: MutationRequest, state: inout BatchState, in transaction: borrowing WriteTransaction
    ) throws -> MutationOutcome {
        switch request.mutation {
        case .write(let changes, let meta):
            try limits.validate(changes, field: "changes")
            let record = Record(
                lsn: state.nextLSN(), time: state.now, kind: .write, changes: changes, meta: meta, peer: request.peer)
            let invalidated = try append(record, state: &state, in: transaction)
            return .written(lsn: record.lsn, invalidated: invalidated)
        case .sourcedWrite(let changes, let meta, let source):
            return try sourcedWrite(changes: changes, meta: meta, source: source, request: request, state: &state, in: transaction)
        case .begin(let changes, let lease, let meta):
            try limits.validate(changes, field: "changes")
            return try begin(changes: changes, lease: lease, meta: meta, peer: request.peer, state: &state, in: transaction)
        case .commit(let id):
            let record = try close(id, as: .commit, peer: request.peer, state: &state, in: transaction)
            return .written(lsn: record.lsn, invalidated: state.records.last?.invalidated ?? [])
        case .abort(let id):
            let record = try close(id, as: .abort, peer: request.peer, state: &state, in: transaction)
            return .aborted(lsn: record.lsn)
        case .register(let name, let stamp, let deps, let ttl):
            try limits.validate(name: name, field: "name")
            try limits.validate(deps, field: "deps")
            return try register(name: name, stamp: stamp, deps: deps, ttl: ttl, state: state, in: transaction)
        case .compact(let before):
            return .compacted(oldest: try compact(before: before, state: &state, in: transaction))
        case .housekeeping:
            return try housekeeping(state: &state, in: transaction)
        case .saveActivity(let bytes):
            try transaction.put(bytes, forKey: Schema.MetaKey.activity, in: schema.meta)
            return .saved
        }
    }

    /// Appends `record` to the log and, for kinds that advance versions, advances them
    /// and drops the names it invalidates, all in the caller's transaction.
    func append(
        _ record: Record, state: inout BatchState, in transaction: borrowing WriteTransaction
    ) throws -> [String] {
        try transaction.put(StoredCoding.encode(record), forKey: Schema.logKey(record.lsn), in: schema.log)
        var invalidated: [String] = []
        if record.kind.advancesVersions {
            try advanceVersions(of: record.changes, to: record.lsn, in: transaction)
            invalidated = try invalidateNames(dependingOn: record.changes, in: transaction)
        }
        state.records.append(CommittedRecord(record: record, invalidated: invalidated))
        return invalidated
    }

    private func advanceVersions(
        of changes: [Change], to lsn: LSN, in transaction: borrowing WriteTransaction
    ) throws {
        for change in changes {
            let previous = try tableVersions(change.table, in: transaction)
            var versions = ByteWriter.bigEndian(lsn)
            versions.append(contentsOf: ByteWriter.bigEndian(change.isWide ? lsn : previous.wide))
            try transaction.put(versions, forKey: Schema.tableKey(change.table), in: schema.tables)
            let encodedLSN = ByteWriter.bigEndian(lsn)
            for key in change.keys ?? [] {
                try transaction.put(encodedLSN, forKey: Schema.keyKey(table: change.table, key: key), in: schema.keys)
            }
        }
    }

    private func compact(
        before: LSN, state: inout BatchState, in transaction: borrowing WriteTransaction
    ) throws -> LSN {
        let oldest = try oldestLSN(in: transaction)
        let target = min(before, state.lsn + 1)
        guard target > oldest else { return oldest }
        try transaction.withCursor(on: schema.log) { cursor in
            var entry = try cursor.seek(atLeast: Schema.logKey(oldest))
            while let current = entry, try ByteReader.bigEndian(current.key) < target {
                try cursor.deleteCurrent()
                entry = try cursor.next()
            }
        }
        try transaction.put(ByteWriter.bigEndian(target), forKey: Schema.MetaKey.oldest, in: schema.meta)
        state.freedPages = true
        return target
    }
}

extension StoreError {
    /// Errors that belong to one request of a batch, not to the storage under it.
    var isRequestFault: Bool {
        code == .invalidArgument || code == .unknownIntent || code == .sourceOutOfOrder
    }
}
