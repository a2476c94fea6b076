/// What the members say of themselves.
extension EtcdClient {
    /// The status of the member at `endpoint` (one of `endpoints.urls`), asked directly.
    public func status(of endpoint: String) async throws(EtcdError) -> EtcdMemberStatus {
        try await call("/v3/maintenance/status", EmptyRequest(), repeatable: .yes, member: endpoint)
    }

    /// The status of whichever member answers first.
    public func status() async throws(EtcdError) -> EtcdMemberStatus {
        try await call("/v3/maintenance/status", EmptyRequest(), repeatable: .yes)
    }
}
