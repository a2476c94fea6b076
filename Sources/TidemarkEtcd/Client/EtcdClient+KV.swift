/// Keys: reads, puts, deletes and transactions.
extension EtcdClient {
    /// A read; linearizable unless `request.serializable`. Safe to repeat on another member.
    public func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse {
        try await call("/v3/kv/range", request, repeatable: .yes)
    }

    /// The value of one key, or nil.
    public func get(_ key: [UInt8], serializable: Bool = false) async throws(EtcdError) -> EtcdKeyValue? {
        try await range(EtcdRangeRequest(key: key, serializable: serializable)).kvs.first
    }

    /// One atomic transaction. Not repeated after an unanswered attempt (it may have been
    /// applied) unless `idempotent`: a transaction whose comparisons make a second run a
    /// no-op (it creates a key only if absent, say) may be.
    public func transaction(_ transaction: EtcdTransaction, idempotent: Bool = false) async throws(EtcdError) -> EtcdTransactionResponse {
        try await call("/v3/kv/txn", transaction, repeatable: idempotent ? .yes : .no)
    }

    /// Puts one key (a transaction of one put), returning the revision it was written at.
    @discardableResult
    public func put(_ key: [UInt8], _ value: [UInt8], lease: Int64 = 0) async throws(EtcdError) -> Int64 {
        try await transaction(EtcdTransaction(success: [.put(key: key, value: value, lease: lease)])).header.revision
    }

    /// Deletes `[key, rangeEnd)` (one key when `rangeEnd` is empty); returns how many were.
    @discardableResult
    public func delete(_ key: [UInt8], rangeEnd: [UInt8] = []) async throws(EtcdError) -> Int64 {
        let response = try await transaction(EtcdTransaction(success: [.delete(key: key, rangeEnd: rangeEnd)]), idempotent: true)
        guard case .delete(let deleted) = response.responses.first else { return 0 }
        return deleted
    }
}

extension EtcdClient {
    /// Drops every revision older than `revision` from etcd's history (keys keep their
    /// newest values). Repeating it is harmless.
    public func compact(revision: Int64) async throws(EtcdError) {
        let _: CompactionResponse = try await call("/v3/kv/compaction", CompactionRequest(revision: revision), repeatable: .yes)
    }
}

struct CompactionRequest: Encodable {
    var revision: Int64

    private enum CodingKeys: String, CodingKey { case revision, physical }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(revision), forKey: .revision)
        try container.encode(true, forKey: .physical)
    }
}

struct CompactionResponse: Decodable {}
