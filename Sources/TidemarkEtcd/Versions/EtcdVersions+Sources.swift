import TidemarkStore

extension EtcdVersions {
    /// What a write from an ordered external stream did.
    public enum SourcedOutcome: Sendable, Equatable {
        case written(LSN)
        /// At or below the recorded position: nothing written. `lsn` covers the earlier
        /// record.
        case duplicate(lsn: LSN, position: UInt64)
        /// `after` was not the recorded position: nothing written.
        case outOfOrder(recorded: UInt64)
    }

    /// The highest position recorded for `name` (0 for none), read linearizably.
    public func sourcePosition(_ name: String) async throws(EtcdError) -> UInt64 {
        try await readSource(name).position
    }

    /// A write recorded only if `source.position` is above the stream's recorded one,
    /// which it then becomes in the same Txn as the record, as on LMDB. The Txn compares
    /// the position key's revision with the one read, so of two writers of one stream
    /// racing, the second reads again and sees the first.
    public func write(
        _ changes: [Change], meta: [UInt8]?, peer: Peer?, source: SourcePosition
    ) async throws(EtcdError) -> SourcedOutcome {
        let versionKeys = try versionKeys(of: changes)
        let record = layout.record(writer: writer, sequence: nextSequence())
        let stored = StoredRecord(changes: changes, meta: meta, peer: peer)
        let key = layout.source(source.name)
        let position = Self.encodePosition(source.position)
        // What this server last recorded for the stream saves the read when it is still
        // current (the Txn's comparison says so); a stream has one writer at a time, so
        // it nearly always is. Anything else is decided on a fresh read.
        var known = sourcePositions.withLock { $0[source.name] }
        while true {
            let recorded: (position: UInt64, modRevision: Int64)
            if let cached = known, source.position > cached.position, source.after.map({ $0 == cached.position }) ?? true {
                recorded = cached
            } else {
                recorded = try await readSource(source.name)
            }
            known = nil
            guard source.position > recorded.position else {
                // The LSN of the record that recorded that position covers the earlier one.
                return .duplicate(lsn: LSN(recorded.modRevision), position: recorded.position)
            }
            if let after = source.after, after != recorded.position { return .outOfOrder(recorded: recorded.position) }
            let answer = try await sendRecorded(
                record, stored, compare: [EtcdComparison(key: key, .equal, .modRevision(recorded.modRevision))],
                operations: [.put(key: key, value: position)] + versionKeys.map { .put(key: $0, value: []) })
            if case .recorded(let lsn) = answer {
                sourcePositions.withLock { $0[source.name] = (source.position, Int64(lsn)) }
                return .written(lsn)
            }
        }
    }

    /// The recorded position and its key's `mod_revision` (0 when absent: etcd compares
    /// a missing key's revisions as 0).
    private func readSource(_ name: String) async throws(EtcdError) -> (position: UInt64, modRevision: Int64) {
        let answer = try await client.range(EtcdRangeRequest(key: layout.source(name)))
        guard let kv = answer.kvs.first else { return (0, 0) }
        guard let position = Self.decodePosition(kv.value) else {
            throw EtcdError(.protocolViolation, "the position of source \(name) holds \(kv.value.count) bytes, not 8")
        }
        return (position, kv.modRevision)
    }
}
