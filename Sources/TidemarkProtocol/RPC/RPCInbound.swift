import NIOCore

/// One inbound line, decoded as far as the JSON-RPC envelope: a single request or a
/// batch, each element either a request or the error to answer it with.
public enum RPCInbound: Sendable {
    case single(Result<RPCRequest, RPCRejection>)
    case batch([Result<RPCRequest, RPCRejection>])
    /// The line is not JSON, or an empty or oversized batch: one error, id null.
    case malformed(RPCError)

    /// Decodes one line. `maxBatch` bounds the number of requests in a batch.
    public static func decode(_ line: ByteBuffer, maxBatch: Int, maxDepth: Int = JSONParser.defaultMaxDepth) -> RPCInbound {
        let document: JSONValue
        do {
            document = try JSONParser.parse(line, maxDepth: maxDepth)
        } catch {
            let message = line.readableBytes == 0 ? "empty line" : error.message
            return .malformed(.parseError(message))
        }
        switch document {
        case .array(let elements):
            guard !elements.isEmpty else { return .malformed(.invalidRequest("empty batch")) }
            guard elements.count <= maxBatch else {
                return .malformed(.invalidRequest("batch of \(elements.count) requests exceeds the limit of \(maxBatch)"))
            }
            return .batch(elements.map(request(from:)))
        default:
            return .single(request(from: document))
        }
    }

    /// Validates the JSON-RPC 2.0 envelope of one request object.
    public static func request(from value: JSONValue) -> Result<RPCRequest, RPCRejection> {
        guard let object = value.objectValue else {
            return .failure(RPCRejection(id: .null, error: .invalidRequest("a request must be a JSON object")))
        }
        var id: RPCID?
        if let rawID = object["id"] {
            guard let parsed = RPCID(json: rawID) else {
                return .failure(
                    RPCRejection(id: .null, error: .invalidRequest("id must be a string, an integer or null")))
            }
            id = parsed
        }
        let answerID = id ?? .null
        guard object["jsonrpc"]?.stringValue == "2.0" else {
            return .failure(RPCRejection(id: answerID, error: .invalidRequest("jsonrpc must be \"2.0\"")))
        }
        guard let method = object["method"]?.stringValue else {
            return .failure(RPCRejection(id: answerID, error: .invalidRequest("method must be a string")))
        }
        for key in object.keys where !["jsonrpc", "id", "method", "params"].contains(key) {
            return .failure(RPCRejection(id: answerID, error: .invalidRequest("unknown member \"\(key)\"")))
        }
        let params = object["params"]
        if let params, params.objectValue == nil, !params.isNull {
            return .failure(RPCRejection(id: answerID, error: .invalidParams("params", "must be an object")))
        }
        return .success(RPCRequest(id: id, method: method, params: params?.isNull == true ? nil : params))
    }
}
