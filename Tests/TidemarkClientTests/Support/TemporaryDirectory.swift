import Foundation

/// A fresh private directory under /tmp, short enough for a socket path inside it
/// (sun_path holds 108 bytes), removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/tmc-XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        path = String(cString: result)
    }

    func appending(_ component: String) -> String {
        path + "/" + component
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
