extension LMDBStore {
    /// Also prepares the journal's next segment when the current one is past half full.
    public func checkpointIfDue() throws(StoreError) -> Bool {
        guard let journal else { return false }
        do {
            try journal.journal.prepareSpareIfNeeded()
        } catch {
            throw Self.storeError(error, "cannot prepare the next journal segment")
        }
        guard journal.checkpointDue(now: clock()) else { return false }
        try checkpoint()
        return true
    }

    /// Copies the data file to the checkpoint now and drops the journal segments below it.
    public func checkpoint() throws(StoreError) {
        try journal?.checkpoint(environment: environment, schema: schema, now: clock())
    }

    public func stopped() {
        journal?.markClean(environment: environment)
    }

    /// The journal's extent, for `stats` and `verify`; nil without one.
    public var journalStatus: JournalStatus? {
        journal.map { journal in
            let status = journal.journal.status
            return JournalStatus(first: status.first, next: status.next, segments: status.segments, bytes: status.bytes)
        }
    }
}

/// How much a store's journal holds.
public struct JournalStatus: Hashable, Sendable {
    /// The sequence of the oldest transaction kept.
    public var first: UInt64
    /// The sequence the next transaction gets.
    public var next: UInt64
    public var segments: Int
    public var bytes: Int
}
