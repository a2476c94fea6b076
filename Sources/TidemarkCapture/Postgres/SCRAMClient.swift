import Foundation

/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: no
/// channel binding (the connection has no TLS), and an empty user name in the messages
/// (the server takes the one from the startup packet).
struct SCRAMClient {
    static let mechanism = "SCRAM-SHA-256"

    private let password: [UInt8]
    private let clientNonce: String
    /// PostgreSQL ignores it (and libpq sends none); the RFC's test vectors name one.
    private let user: String
    private var authMessage: [UInt8] = []
    private var serverSignature: [UInt8] = []

    init(password: String, clientNonce: String = SCRAMClient.randomNonce(), user: String = "") {
        self.password = Array(password.utf8)
        self.clientNonce = clientNonce
        self.user = user
    }

    static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<18).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
    }

    private var clientFirstBare: String { "n=\(user),r=\(clientNonce)" }

    /// The `client-first-message`.
    var firstMessage: [UInt8] { Array("n,,\(clientFirstBare)".utf8) }

    /// Answers the `server-first-message` with the `client-final-message`.
    mutating func finalMessage(serverFirst: [UInt8]) throws(CaptureError) -> [UInt8] {
        let text = String(decoding: serverFirst, as: UTF8.self)
        let attributes = Self.attributes(text)
        guard let nonce = attributes["r"], nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count,
            let saltText = attributes["s"], let salt = Data(base64Encoded: saltText),
            let iterationsText = attributes["i"], let iterations = Int(iterationsText), iterations > 0
        else {
            throw CaptureError(.authentication, "the server's SCRAM-SHA-256 challenge is malformed")
        }
        let salted = HMACSHA256.pbkdf2(password: password, salt: Array(salt), iterations: iterations)
        let clientKey = HMACSHA256.authenticate(Array("Client Key".utf8), key: salted)
        let storedKey = SHA256.hash(clientKey)
        let withoutProof = "c=biws,r=\(nonce)"
        authMessage = Array("\(clientFirstBare),\(text),\(withoutProof)".utf8)
        let clientSignature = HMACSHA256.authenticate(authMessage, key: storedKey)
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverKey = HMACSHA256.authenticate(Array("Server Key".utf8), key: salted)
        serverSignature = HMACSHA256.authenticate(authMessage, key: serverKey)
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    /// Checks the `server-final-message`: a server that cannot prove it knows the password
    /// is not the server the DSN names.
    func verify(serverFinal: [UInt8]) throws(CaptureError) {
        let attributes = Self.attributes(String(decoding: serverFinal, as: UTF8.self))
        if let error = attributes["e"] {
            throw CaptureError(.authentication, "SCRAM-SHA-256 authentication failed: \(error)")
        }
        guard let signature = attributes["v"].flatMap({ Data(base64Encoded: $0) }), Array(signature) == serverSignature else {
            throw CaptureError(.authentication, "the server's SCRAM-SHA-256 signature does not match")
        }
    }

    private static func attributes(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in text.split(separator: ",") where part.count >= 2 && part.dropFirst().first == "=" {
            result[String(part.prefix(1))] = String(part.dropFirst(2))
        }
        return result
    }
}
