import TidemarkStore

/// Reads a result object on the client side, turning a missing or mistyped field into an
/// `RPCError` that says which.
struct ResultReader {
    let object: JSONObject

    init(_ json: JSONValue) throws(RPCError) {
        guard let object = json.objectValue else { throw RPCError.invalidResponse("result is not an object") }
        self.object = object
    }

    func unsigned(_ key: String) throws(RPCError) -> UInt64 {
        guard let value = object[key]?.uint64Value else { throw RPCError.invalidResponse("\(key) missing") }
        return value
    }

    func string(_ key: String) throws(RPCError) -> String {
        guard let value = object[key]?.stringValue else { throw RPCError.invalidResponse("\(key) missing") }
        return value
    }

    func epoch(_ key: String) throws(RPCError) -> Epoch {
        guard let value = Epoch(hex: try string(key)) else { throw RPCError.invalidResponse("\(key) is not an epoch") }
        return value
    }

    func bool(_ key: String) -> Bool? {
        object[key]?.boolValue
    }

    func strings(_ key: String) -> [String] {
        object[key]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    func array(_ key: String) throws(RPCError) -> [JSONValue] {
        guard let value = object[key]?.arrayValue else { throw RPCError.invalidResponse("\(key) missing") }
        return value
    }
}
