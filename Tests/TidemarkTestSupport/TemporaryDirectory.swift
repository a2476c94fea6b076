import Foundation

/// A private directory for one test, removed when the test ends. Socket paths must stay
/// under the 108-byte sun_path limit, so it lives directly under /tmp.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        let path = "/tmp/tm-test-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        self.path = path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    public var socketPath: String { path + "/tidemark.sock" }
    public var dataPath: String { path + "/data" }
}
