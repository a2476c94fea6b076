import LMDB

extension LMDBStore {
    /// Replays the retained change log and recomputes every version, intent, pending count
    /// and name index from it, in one read snapshot, and reports each disagreement with the
    /// stored state. Changes nothing; works on a read-only store, also beside a running
    /// server. Throws only when the data cannot be read at all.
    public func verify() throws(StoreError) -> VerificationReport {
        try guarded("cannot verify the store") {
            try environment.read { transaction in
                var verifier = StoreVerifier(store: self)
                try verifier.run(in: transaction)
                return verifier.report
            }
        }
    }
}
