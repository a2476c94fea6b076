import TidemarkProtocol

/// What the server's backend offers, learnt from `hello.backend`: a backend other than
/// LMDB may refuse a method it does not offer yet with -32601 naming itself (PROTOCOL.md
/// §16.3). A case that fails only because of such a refusal is counted apart, as not
/// offered, never as passed; on LMDB every method is offered and nothing is set apart.
struct BackendOffer: Sendable {
    let backend: String

    /// A server that cannot be asked sets nothing apart: its cases fail on their own.
    static func learn(socketPath: String) async -> BackendOffer {
        guard let connection = try? await LineConnection.connect(socketPath) else { return BackendOffer(backend: "lmdb") }
        defer { connection.close() }
        let hello = try? await connection.result("hello")
        return BackendOffer(backend: hello?["backend"]?.stringValue ?? "lmdb")
    }

    /// Whether `actual` (a response's text) is this backend refusing a method it does
    /// not offer.
    func isRefusal(_ actual: String) -> Bool {
        backend != "lmdb" && actual.contains("-32601") && actual.contains("not supported by the \(backend) backend")
    }

    /// Whether any of `methods` is refused by this backend, asked on a connection of its
    /// own. Only asked once a scenario needing them has failed.
    func refusesAny(of methods: [String], socketPath: String, probeTable: String) async -> Bool {
        guard backend != "lmdb", !methods.isEmpty,
              let connection = try? await LineConnection.connect(socketPath)
        else { return false }
        defer { connection.close() }
        for (index, method) in methods.enumerated() {
            let params: JSONValue = method == "watch" ? ["tables": [.string(probeTable)]] : .object([:])
            guard (try? await connection.send(json: request(method, params, id: Int64(index + 1)))) != nil,
                  let answer = await connection.nextResponse()
            else { return false }
            if isRefusal(answer.jsonString) { return true }
        }
        return false
    }
}
