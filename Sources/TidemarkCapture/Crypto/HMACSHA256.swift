/// HMAC-SHA-256 (RFC 2104) and PBKDF2 with it (RFC 8018): what SCRAM-SHA-256 needs.
enum HMACSHA256 {
    private static let blockBytes = 64

    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var key = key.count > blockBytes ? SHA256.hash(key) : key
        key.append(contentsOf: repeatElement(0, count: blockBytes - key.count))
        var inner = SHA256()
        inner.update(key.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(key.map { $0 ^ 0x5c })
        outer.update(inner.finish())
        return outer.finish()
    }

    /// PBKDF2-HMAC-SHA-256 with one output block (32 bytes), which is all SCRAM asks for.
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var block = authenticate(salt + [0, 0, 0, 1], key: password)
        var result = block
        for _ in 1..<max(iterations, 1) {
            block = authenticate(block, key: password)
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }
}
