import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// `log` on the etcd backend: every server's records in one order, read from any server
    /// right after they were acknowledged, with their kinds, meta and peers; pages continue
    /// across LSN gaps; and `tidemark log` prints them.
    @Suite struct EtcdLogTests {
        @Test func everyServersRecordsAreReadInLSNOrderFromAnyServer() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let a = try await servers[0].connect()
                let b = try await servers[1].connect()
                let first = try await a.write([Change(table: "users", keys: ["1"])], meta: ["by": "a"])
                let second = try await b.write([Change(table: "orders")])
                let begun = try await a.begin([Change(table: "users", keys: ["2"])], ttlMs: 60_000)
                let committed = try await b.commit(intent: begun.intent)
                let aborting = try await b.begin([Change(table: "orders", keys: ["9"])], ttlMs: 60_000)
                let aborted = try await a.abort(intent: aborting.intent)

                let page = try await b.log()
                #expect(page.records.map(\.lsn) == [first.lsn, second.lsn, begun.lsn, committed.lsn, aborting.lsn, aborted])
                #expect(page.records.map(\.kind) == [.write, .write, .begin, .commit, .begin, .abort])
                #expect(page.records[0].meta.map { String(decoding: $0, as: UTF8.self) } == #"{"by":"a"}"#)
                #expect(page.records[0].changes == [Change(table: "users", keys: ["1"])])
                #expect(page.records[1].changes == [Change(table: "orders")])
                #expect(page.records[3].intent == begun.intent && page.records[3].changes == [Change(table: "users", keys: ["2"])])
                #expect(page.records.allSatisfy { $0.peer.pid == getpid() && $0.time > 0 })
                #expect(page.next == aborted + 1 && page.oldest == 1)

                // Pages of two continue where the last ended, gaps or not.
                var lsns: [LSN] = []
                var from: LSN? = nil
                while true {
                    let part = try await a.log(LogMethod.Params(from: from, limit: 2))
                    if part.records.isEmpty { break }
                    lsns += part.records.map(\.lsn)
                    from = part.next
                }
                #expect(lsns == page.records.map(\.lsn))
                let orders = try await a.log(LogMethod.Params(tables: ["orders"]))
                #expect(orders.records.map(\.lsn) == [second.lsn, aborting.lsn, aborted])

                // The CLI reads it the same way.
                let printed = try await ShortCommand.run(
                    ChildProcess.tidemarkBinary, ["log", "--socket", servers[0].socketPath, "--json"])
                let lines = printed.split(separator: "\n")
                #expect(lines.count == page.records.count)
                #expect(lines.first?.contains("\"lsn\":\(first.lsn)") == true)
                await a.close()
                await b.close()
            }
        }

        /// `tidemark log --follow` on one server: the backlog, then what another server
        /// writes, live, each record once and in LSN order (the watch is fed by the etcd
        /// watch that keeps the mirror).
        @Test func logFollowOnOneServerSeesAnotherServersWritesLive() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(2, on: cluster) { servers in
                let writer = try await servers[0].connect()
                let before = try await writer.write([Change(table: "users", keys: ["1"])])
                let follower = try ChildProcess(
                    executable: ChildProcess.tidemarkBinary,
                    arguments: ["log", "--follow", "--json", "--socket", servers[1].socketPath])
                #expect(await follower.waitForOutput("\"lsn\":\(before.lsn),", seconds: 30))
                let live = try await writer.write([Change(table: "orders")])
                let begun = try await writer.begin([Change(table: "users", keys: ["2"])], ttlMs: 60_000)
                let committed = try await writer.commit(intent: begun.intent)
                #expect(await follower.waitForOutput("\"lsn\":\(committed.lsn),", seconds: 30))
                _ = await follower.terminate()
                let lsns = follower.outputText.split(separator: "\n").compactMap { line -> LSN? in
                    guard let value = try? JSONParser.parse(Array(line.utf8)) else { return nil }
                    return value["lsn"]?.uint64Value
                }
                #expect(lsns == [before.lsn, live.lsn, begun.lsn, committed.lsn])
                await writer.close()
            }
        }

        /// §4: a connection's writes apply in the order sent, even pipelined in one batch,
        /// although each is its own etcd transaction.
        @Test func aConnectionsPipelinedWritesGetLSNsInTheOrderSent() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdServerTests.withServers(1, on: cluster) { servers in
                let batch = (1...20).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"write","params":{"changes":[{"table":"t"}]}}"# }
                let script = """
                    import socket, sys
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(sys.argv[1])
                    s.sendall(sys.argv[2].encode() + b"\\n")
                    data = b""
                    while not data.endswith(b"\\n"):
                        data += s.recv(65536)
                    print(data.decode().strip())
                    """
                let answer = try await ShortCommand.run(
                    "/usr/bin/python3", ["-c", script, servers[0].socketPath, "[" + batch.joined(separator: ",") + "]"])
                let lsns = try #require(try JSONParser.parse(Array(answer.utf8)).arrayValue).map { $0["result"]?["lsn"]?.uint64Value }
                #expect(lsns.count == 20 && lsns.allSatisfy { $0 != nil })
                #expect(lsns.compactMap { $0 } == lsns.compactMap { $0 }.sorted())
                #expect(Set(lsns.compactMap { $0 }).count == 20)
            }
        }
    }
}
