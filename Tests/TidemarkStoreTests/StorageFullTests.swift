import Testing
@testable import TidemarkStore

@Suite("Storage full")
struct StorageFullTests {
    @Test func aFullMapFailsTheWholeBatchAndKeepsEverythingBefore() throws {
        var options = StoreFixture.fastOptions
        options.mapSize = 256 << 10
        let fixture = try StoreFixture(options: options)
        let meta = [UInt8](repeating: UInt8(ascii: "m"), count: 3_000)

        var written: LSN = 0
        var failure: StoreError?
        while written < 1_000 {
            do {
                try fixture.write([keyed("t", "k\(written)")], meta: meta)
                written += 1
            } catch let error as StoreError {
                failure = error
                break
            }
        }
        #expect(failure?.code == .storageFull)
        #expect(written > 10)
        #expect(try fixture.lsn == written)

        // A batch whose first request fits and whose second does not writes neither.
        let error = #expect(throws: StoreError.self) {
            _ = try fixture.store.apply([
                MutationRequest(.write(changes: [keyed("small", "a")], meta: nil), peer: alice),
                MutationRequest(.write(changes: [keyed("big", "b")], meta: [UInt8](repeating: 0, count: 1 << 20)), peer: alice),
            ])
        }
        #expect(error?.code == .storageFull)
        #expect(try fixture.lsn == written)
        #expect(try fixture.versions([dep("small"), dep("small", "a"), dep("big")]) == [0, 0, 0])

        let records = try fixture.records()
        #expect(records.map(\.lsn) == Array(1...written))
        #expect(records.allSatisfy { $0.meta == meta })
        #expect(try fixture.version(dep("t", "k\(written - 1)")) == written)

        // Compaction frees room for new records.
        _ = try fixture.apply(.compact(before: written + 1))
        #expect(try fixture.write(keyed("after", "a")) == written + 1)
    }
}
