import Foundation
import LMDB

/// A fresh directory for one test's environment, removed when the value goes away.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lmdb-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func open(_ configure: (inout Environment.Options) -> Void = { _ in }) throws -> Environment {
        var options = Environment.Options()
        options.mapSize = 64 << 20
        configure(&options)
        return try Environment(path: path, options: options)
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ buffer: UnsafeRawBufferPointer) -> String { String(decoding: buffer, as: UTF8.self) }

/// Thrown from inside a write closure to make it roll back.
struct Rollback: Error {}

extension Environment {
    /// Every key/value pair of `database` in cursor order, as `key=value` strings.
    func entries(of database: Database) throws -> [String] {
        try read { (transaction) throws in
            try transaction.withCursor(on: database) { (cursor) throws in
                var result: [String] = []
                var entry = try cursor.first()
                while let current = entry {
                    result.append(text(current.key) + "=" + text(current.value))
                    entry = try cursor.next()
                }
                return result
            }
        }
    }

    func string(in database: Database, forKey key: String) throws -> String? {
        try read { try $0.value(in: database, forKey: bytes(key)).map { String(decoding: $0, as: UTF8.self) } }
    }
}
