import Synchronization
import Testing
import TidemarkJournal
import TidemarkProtocol
import TidemarkServer
import TidemarkStore
import TidemarkTestSupport

/// Whether the disk under the journal has room; a test fills and frees it.
final class DiskSpace: Sendable {
    private let full = Mutex(false)
    var isFull: Bool {
        get { full.withLock { $0 } }
        set { full.withLock { $0 = newValue } }
    }
}

/// Journal segments on disk, except that while the disk is full a new segment cannot be
/// created, as with ENOSPC. The segment being written was preallocated, so it still takes
/// frames until it is full.
final class FillingDiskStorage: JournalStorage {
    private let base: PosixJournalStorage
    private let space: DiskSpace

    init(directory: String, space: DiskSpace) throws(JournalError) {
        base = try PosixJournalStorage(directory: directory)
        self.space = space
    }

    func segments() throws(JournalError) -> [UInt64] { try base.segments() }

    func openSegment(startingAt sequence: UInt64) throws(JournalError) -> any JournalFile {
        try base.openSegment(startingAt: sequence)
    }

    func createSegment(startingAt sequence: UInt64, size: Int) throws(JournalError) -> any JournalFile {
        if space.isFull { throw JournalError(.full, "no space on the disk for the journal", cause: "ENOSPC (injected)") }
        return try base.createSegment(startingAt: sequence, size: size)
    }

    func removeSegment(startingAt sequence: UInt64) throws(JournalError) { try base.removeSegment(startingAt: sequence) }
}

@Suite("A full disk under the journal refuses writes, loses nothing, and recovers")
struct JournalFullDiskTests {
    @Test func writesGetStorageFullUntilSpaceIsFreedAndEveryAcknowledgedWriteStays() async throws {
        let space = DiskSpace()
        let directory = try TemporaryDirectory()
        let configure: @Sendable (inout TidemarkApplication.Configuration) -> Void = {
            $0.store.journal?.segmentBytes = 64 << 10
            $0.store.journal?.storage = { path throws(JournalError) in try FillingDiskStorage(directory: path, space: space) }
        }
        let acknowledged = try await TestServer.withServer(directory: directory, configure: configure) { server in
            try await LineClient.with(server.socketPath) { client in
                var acknowledged: [Int64] = []
                space.isFull = true
                var refusal: (error: JSONObject?, params: JSONValue)?
                for index in 0..<2_000 where refusal == nil {
                    let params: JSONValue = [
                        "changes": [["table": "t", "keys": [.string("k\(index)")]]], "meta": ["n": JSONValue(Int64(index))],
                    ]
                    let response = try await client.request("write", params)
                    if let lsn = response.objectValue?["result"]?.objectValue?["lsn"]?.int64Value {
                        acknowledged.append(lsn)
                    } else {
                        refusal = (response.objectValue?["error"]?.objectValue, params)
                    }
                }
                let refused = try #require(refusal, "a 64 KiB segment must fill up")
                #expect(refused.error?["code"] == -32002)
                #expect(acknowledged.count > 10, "the preallocated segment took writes before it filled")
                let stats = try await client.result("stats")
                #expect(stats.objectValue?["lsn"]?.int64Value == acknowledged.last, "the refused write left no record")
                // Still full: the same write is still refused (a smaller one might still fit
                // in the rest of the segment), and still nothing is recorded.
                let refusedAgain = try await client.request("write", refused.params)
                #expect(refusedAgain.objectValue?["error"]?.objectValue?["code"] == -32002)
                space.isFull = false
                let resumed = try await client.result("write", ["changes": [["table": "t", "keys": ["after"]]]])
                let lsn = try #require(resumed.objectValue?["lsn"]?.int64Value)
                #expect(lsn == acknowledged.last! + 1)
                acknowledged.append(lsn)
                return acknowledged
            }
        }
        // A restart replays nothing it should not and keeps every acknowledged record.
        try await TestServer.withServer(directory: directory, configure: configure) { server in
            try await LineClient.with(server.socketPath) { client in
                let page = try await client.result("log", ["from": 1, "limit": 5_000])
                let lsns = page.objectValue?["records"]?.arrayValue?.compactMap { $0.objectValue?["lsn"]?.int64Value } ?? []
                #expect(lsns == acknowledged)
            }
        }
        var options = LMDBStore.Options()
        options.readOnly = true
        let report = try LMDBStore(path: directory.dataPath, options: options).verify()
        #expect(report.isClean, "\(report.discrepancies)")
        #expect(report.journal?.segments ?? 0 >= 2)
    }
}
