/// What `hello` says about the server. Never paths or other local secrets.
public struct ServerIdentity: Sendable {
    public static let name = "tidemark"
    public static let version = "0.1.0"
    public static let protocolVersion = 1
}
