import Foundation

/// etcd's JSON gateway speaks the proto3 JSON mapping: bytes are base64, 64-bit integers
/// are strings, and every field at its default (0, false, empty) is left out. These read
/// and write fields that way.
extension KeyedDecodingContainer {
    func gatewayInt64(_ key: Key) throws -> Int64 {
        if let text = try decodeIfPresent(String.self, forKey: key) {
            guard let value = Int64(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an int64: \(text)")
            }
            return value
        }
        return try decodeIfPresent(Int64.self, forKey: key) ?? 0
    }

    func gatewayUInt64(_ key: Key) throws -> UInt64 {
        if let text = try decodeIfPresent(String.self, forKey: key) {
            guard let value = UInt64(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a uint64: \(text)")
            }
            return value
        }
        return try decodeIfPresent(UInt64.self, forKey: key) ?? 0
    }

    func gatewayBytes(_ key: Key) throws -> [UInt8] {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return [] }
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not base64")
        }
        return Array(data)
    }

    func gatewayBool(_ key: Key) throws -> Bool {
        try decodeIfPresent(Bool.self, forKey: key) ?? false
    }

    func gatewayArray<Element: Decodable>(_ key: Key) throws -> [Element] {
        try decodeIfPresent([Element].self, forKey: key) ?? []
    }
}

extension KeyedEncodingContainer {
    mutating func encodeGatewayBytes(_ bytes: [UInt8], forKey key: Key) throws {
        try encode(Data(bytes).base64EncodedString(), forKey: key)
    }

    /// Leaves the default out, as etcd's own clients do.
    mutating func encodeGatewayInt64(_ value: Int64, forKey key: Key) throws {
        if value != 0 { try encode(String(value), forKey: key) }
    }

    mutating func encodeGatewayBool(_ value: Bool, forKey key: Key) throws {
        if value { try encode(true, forKey: key) }
    }
}
