/// Leases: keys bound to one are deleted by etcd when it runs out.
extension EtcdClient {
    /// A new lease of `seconds`. Granting twice only leaves an unused lease to expire, so
    /// it is repeated on another member after a lost answer.
    public func grantLease(seconds: Int64) async throws(EtcdError) -> EtcdLease {
        try await call("/v3/lease/grant", LeaseRequest(ttl: seconds), repeatable: .yes)
    }

    /// Renews lease `id` once, returning the seconds it now has. Throws `leaseNotFound`
    /// when it has run out or was revoked.
    @discardableResult
    public func keepAlive(lease id: Int64) async throws(EtcdError) -> Int64 {
        let answer: StreamedResult<EtcdLease> = try await call("/v3/lease/keepalive", LeaseRequest(id: id), repeatable: .yes)
        if let error = answer.error { throw EtcdError(.unavailable, "etcd: \(error.message)") }
        guard let lease = answer.result, lease.ttl > 0 else {
            throw EtcdError(.leaseNotFound, "the etcd lease \(id) has run out or was revoked")
        }
        return lease.ttl
    }

    /// Ends lease `id` now, deleting its keys. Revoking an unknown lease is not an error.
    public func revokeLease(_ id: Int64) async throws(EtcdError) {
        do {
            let _: EtcdLease = try await call("/v3/lease/revoke", LeaseRequest(id: id), repeatable: .yes)
        } catch where error.code == .leaseNotFound {
            return
        }
    }
}
