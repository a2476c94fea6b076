/// A JSON-RPC error object: the error type at the wire boundary.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String {
        var text = "\(code) \(message)"
        if let data { text += " \(data.jsonString)" }
        return text
    }

    public enum Code {
        public static let parseError = -32700
        public static let invalidRequest = -32600
        public static let methodNotFound = -32601
        public static let invalidParams = -32602
        public static let internalError = -32603
        public static let overloaded = -32001
        public static let storageFull = -32002
        public static let unknownIntent = -32003
        public static let compacted = -32004
        public static let forbidden = -32005
        public static let shuttingDown = -32006
        public static let sourceOutOfOrder = -32007
        public static let unavailable = -32008
    }

    public static func parseError(_ message: String) -> RPCError {
        RPCError(code: Code.parseError, message: "parse error: \(message)")
    }

    public static func invalidRequest(_ message: String) -> RPCError {
        RPCError(code: Code.invalidRequest, message: "invalid request: \(message)")
    }

    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: Code.methodNotFound, message: "unknown method \"\(method)\"", data: ["method": .string(method)])
    }

    /// `field` is the path of the offending parameter, e.g. `changes[0].keys[2]`.
    public static func invalidParams(_ field: String, _ message: String) -> RPCError {
        RPCError(
            code: Code.invalidParams, message: "invalid params: \(field.isEmpty ? "" : field + " ")\(message)",
            data: ["field": .string(field)])
    }

    public static func internalError(_ message: String) -> RPCError {
        RPCError(code: Code.internalError, message: "internal error: \(message)")
    }

    public static let lineTooLong = RPCError(code: Code.invalidRequest, message: "invalid request: line too long")

    public var json: JSONValue {
        var object: JSONObject = ["code": .integer(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    public init(json: JSONValue) throws(RPCError) {
        guard let object = json.objectValue, let code = object["code"]?.int64Value,
              let message = object["message"]?.stringValue
        else { throw RPCError.invalidResponse("malformed error object") }
        self.init(code: Int(code), message: message, data: object["data"])
    }

    static func invalidResponse(_ message: String) -> RPCError {
        RPCError(code: Code.internalError, message: "invalid response from server: \(message)")
    }
}
