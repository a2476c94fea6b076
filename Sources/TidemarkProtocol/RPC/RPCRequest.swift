/// A well-formed JSON-RPC request. `id == nil` marks a notification, which gets no answer.
public struct RPCRequest: Hashable, Sendable {
    public var id: RPCID?
    public var method: String
    public var params: JSONValue?

    public init(id: RPCID?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var isNotification: Bool { id == nil }

    public var json: JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { object["params"] = params }
        if let id { object["id"] = id.json }
        return .object(object)
    }
}

/// A request that could not be accepted, with the id to answer it under (null when the
/// id itself could not be read).
public struct RPCRejection: Error, Hashable, Sendable {
    public var id: RPCID?
    public var error: RPCError

    public init(id: RPCID?, error: RPCError) {
        self.id = id
        self.error = error
    }
}
