extension EtcdVersions {
    /// What `saveActivity` last stored for `server`, or nil.
    public func savedActivity(of server: String) async throws(EtcdError) -> [UInt8]? {
        try await client.get(layout.activity(server))?.value
    }

    /// Replaces `server`'s saved activity counters. Not a record: it takes a revision but
    /// no LSN of the log.
    public func saveActivity(_ bytes: [UInt8], of server: String) async throws(EtcdError) {
        try await client.put(layout.activity(server), bytes)
    }
}
