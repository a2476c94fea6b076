import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkServer
import TidemarkStore

@Suite("Background retention seen from a client", .timeLimit(.minutes(1)))
struct RetentionTests {
    @Test func keepingTenRecordsCompactsTheRestAndKeepsEveryVersion() async throws {
        try await TestServer.run(configure: { $0.retention = RetentionPolicy(maxRecords: 10) }) { server in
            let client = try await server.connect()
            for index in 1...50 { _ = try await client.write([Change(table: "t", keys: ["k\(index)"])]) }

            // The retainer runs about once a second: poll until it has caught up with the
            // last write (lsn 50 - 10 + 1), within a bound.
            var page = try await client.log(LogMethod.Params(limit: 1000))
            var polls = 0
            while page.oldest < 41 && polls < 500 {
                try await Task.sleep(for: .milliseconds(20))
                page = try await client.log(LogMethod.Params(limit: 1000))
                polls += 1
            }
            #expect(page.oldest > 1, "no compaction after \(polls) polls")
            #expect(page.oldest == 41, "not exactly the newest 10 records remain (oldest \(page.oldest))")
            #expect(page.records.count == 10)
            #expect(page.records.first?.lsn == page.oldest)
            #expect(page.records.last?.lsn == 50)
            #expect(page.records.map(\.lsn) == Array(page.oldest...50))

            // Versions are kept: each early key still reads as the LSN that wrote it.
            let deps = (1...50).map { Dep(table: "t", key: "k\($0)") }
            let stamp = try await client.stamp(deps)
            #expect(stamp.lsn == 50)
            #expect(stamp.versions == Array(1...50))
            #expect(try await client.stamp([Dep(table: "t")]).versions == [50])

            let error = await #expect(throws: TidemarkClientError.self) {
                try await client.log(LogMethod.Params(from: 1))
            }
            #expect(error?.rpcError?.code == RPCError.Code.compacted)
            #expect(error?.rpcError?.data?["oldest"]?.uint64Value ?? 0 >= page.oldest)
            await client.close()
        }
    }
}
