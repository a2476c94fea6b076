import TidemarkStore

extension StoreError {
    /// The one place where etcd's failures become the store's, and so the wire's: a write
    /// or a linearizable read etcd could not answer is `unavailable` (-32008), never a
    /// guess; a full cluster is `storageFull` (-32002), as a full LMDB map is.
    init(etcd error: EtcdError) {
        switch error.code {
        case .unavailable:
            self.init(.unavailable, error.message, cause: error)
        case .outcomeUnknown:
            self.init(.unavailable, "etcd did not confirm the write; it may have been applied: \(error.message)", cause: error)
        case .quotaExceeded:
            self.init(.storageFull, "the etcd cluster is over its storage quota", cause: error)
        default:
            self.init(.io, error.message, cause: error)
        }
    }
}
