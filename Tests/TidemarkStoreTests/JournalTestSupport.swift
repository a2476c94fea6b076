import Foundation
import Testing
import TidemarkJournal
import TidemarkTestSupport
@testable import TidemarkStore

/// What the journal tests share: journaled options with a chosen boot, and the file
/// handling that acts out what a disk holds after a crash (the data directory copied
/// aside while its store is still open, with the data file torn or stale).
enum JournalTestSupport {
    /// A durable, journaled store as a server runs it, in the boot `boot`.
    static func options(
        boot: String, segmentBytes: Int = 1 << 20,
        storage: (@Sendable (String) throws(JournalError) -> any JournalStorage)? = nil
    ) -> LMDBStore.Options {
        var options = LMDBStore.Options()
        options.mapSize = 64 << 20
        var journal = JournalOptions()
        journal.segmentBytes = segmentBytes
        journal.bootIdentity = { boot }
        journal.storage = storage
        options.journal = journal
        return options
    }

    /// What a data file torn by a power loss is acted out as.
    enum TornDataFile: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// Random bytes: not an LMDB file at all.
        case garbage
        /// The first half of the real file: meta pages that point at pages now gone.
        case truncated

        var testDescription: String { rawValue }
    }

    /// A private (0700) directory at `path`.
    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    static func bytes(of path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The text of `journal/state` in `path`, whitespace trimmed; nil when there is none.
    static func state(in path: String) -> String? {
        (try? String(contentsOfFile: path + "/journal/state", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The journal's segment files in `path`, by name.
    static func segmentNames(in path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path + "/journal").filter { $0.hasSuffix(".journal") }.sorted()
    }

    /// Copies what a power loss leaves of the data directory `source` (whose store may
    /// still be open) to `destination`: the journal (segments and state, flushed on every
    /// write) and the checkpoint are durable as they are; the data file, written without
    /// flushes, is replaced by `dataFile` (nil: no data file at all).
    static func copyAsDiskHolds(_ source: String, to destination: String, dataFile: [UInt8]?) throws {
        try makeDirectory(destination + "/journal")
        for name in try FileManager.default.contentsOfDirectory(atPath: source + "/journal") where !name.hasSuffix(".new") {
            try write(try bytes(of: source + "/journal/" + name), to: destination + "/journal/" + name)
        }
        if FileManager.default.fileExists(atPath: source + "/checkpoint.mdb") {
            try write(try bytes(of: source + "/checkpoint.mdb"), to: destination + "/checkpoint.mdb")
        }
        if let dataFile { try write(dataFile, to: destination + "/data.mdb") }
    }

    /// The data file of `source` torn as `torn` says.
    static func tornDataFile(of source: String, _ torn: TornDataFile) throws -> [UInt8] {
        switch torn {
        case .garbage:
            var generator = SeededGenerator(seed: 99)
            return (0..<(64 << 10)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        case .truncated:
            let whole = try bytes(of: source + "/data.mdb")
            return Array(whole.prefix(whole.count / 2))
        }
    }

    /// The stamp (versions and pending flags) of every table and key the tests write.
    static func deps(tables: Int, keys: Int) -> [Dep] {
        (0..<tables).flatMap { table in
            [dep("t\(table)")] + (0..<keys).map { key in dep("t\(table)", "k\(key)") }
        }
    }
}

extension SeededGenerator {
    /// A draw from `range`, for workloads written as `random.next(in: 1...3)`.
    mutating func next(in range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self)
    }
}
