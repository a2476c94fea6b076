import NIOCore

/// A JSON-RPC response: a result or an error, under the request's id.
public struct RPCResponse: Hashable, Sendable {
    public var id: RPCID
    public var result: Result<JSONValue, RPCError>

    public init(id: RPCID, result: Result<JSONValue, RPCError>) {
        self.id = id
        self.result = result
    }

    public var json: JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0", "id": id.json]
        switch result {
        case .success(let value): object["result"] = value
        case .failure(let error): object["error"] = error.json
        }
        return .object(object)
    }

    /// Appends the response as one line.
    public func write(into buffer: inout ByteBuffer) {
        // The bytes `json` would serialize to, without building the envelope object for
        // every answer.
        buffer.writeStaticString(#"{"jsonrpc":"2.0","id":"#)
        JSONWriter.write(id.json, into: &buffer)
        switch result {
        case .success(let value):
            buffer.writeStaticString(#","result":"#)
            JSONWriter.write(value, into: &buffer)
        case .failure(let error):
            buffer.writeStaticString(#","error":"#)
            JSONWriter.write(error.json, into: &buffer)
        }
        buffer.writeStaticString("}\n")
    }

    /// Reads a response object (for clients).
    public init(json: JSONValue) throws(RPCError) {
        guard let object = json.objectValue, let rawID = object["id"], let id = RPCID(json: rawID) else {
            throw RPCError.invalidResponse("missing or invalid id")
        }
        if let error = object["error"] {
            self.init(id: id, result: .failure(try RPCError(json: error)))
        } else if let result = object["result"] {
            self.init(id: id, result: .success(result))
        } else {
            throw RPCError.invalidResponse("neither result nor error")
        }
    }
}

/// A server-to-client notification, such as `watch.event`.
public struct RPCNotification: Hashable, Sendable {
    public var method: String
    public var params: JSONValue

    public init(method: String, params: JSONValue) {
        self.method = method
        self.params = params
    }

    public var json: JSONValue {
        .object(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    public func write(into buffer: inout ByteBuffer) {
        JSONWriter.write(json, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }
}
