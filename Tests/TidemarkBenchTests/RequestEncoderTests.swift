import NIOCore
import Testing
import TidemarkProtocol

@testable import TidemarkBench

@Suite struct RequestEncoderTests {
    let encoder = RequestEncoder(
        table: "be\"nch", deps: 2, batch: 3, stamp: .init(epoch: "00ff", lsn: 42))

    private func encode(_ operation: BenchOperation, id: Int) throws -> JSONValue {
        var random = SplitMix64(seed: 9)
        var buffer = ByteBuffer()
        encoder.write(operation, id: id, keys: .uniform(count: 5), random: &random, into: &buffer)
        #expect(buffer.readableBytesView.last == UInt8(ascii: "\n"))
        #expect(buffer.readableBytesView.dropLast().contains(UInt8(ascii: "\n")) == false)
        return try JSONParser.parse(buffer.readableBytesView.dropLast())
    }

    @Test func checkCarriesTheStampAndDeps() throws {
        let request = try encode(.check, id: 12345)
        #expect(request["jsonrpc"] == "2.0")
        #expect(request["id"] == JSONValue(12345))
        #expect(request["method"] == "check")
        let params = try #require(request["params"])
        #expect(params["epoch"] == "00ff")
        #expect(params["lsn"] == JSONValue(42))
        let deps = try #require(params["deps"]?.arrayValue)
        #expect(deps.count == 2)
        for dep in deps {
            #expect(dep["table"] == "be\"nch")
            let key = try #require(dep["key"]?.stringValue)
            #expect(key.hasPrefix("k") && (0..<5).contains(Int(key.dropFirst()) ?? -1))
        }
    }

    @Test func checkBatchHasOneEntryPerBatchSlot() throws {
        let request = try encode(.checkBatch, id: 0)
        let entries = try #require(request["params"]?["entries"]?.arrayValue)
        #expect(entries.count == 3)
        for entry in entries {
            #expect(entry["lsn"] == JSONValue(42))
            #expect(entry["deps"]?.arrayValue?.count == 2)
        }
    }

    @Test func writeAndStampShapes() throws {
        let write = try encode(.write, id: 1)
        #expect(write["method"] == "write")
        let changes = try #require(write["params"]?["changes"]?.arrayValue)
        #expect(changes.count == 1)
        #expect(changes[0]["keys"]?.arrayValue?.count == 1)
        let stamp = try encode(.stamp, id: 2)
        #expect(stamp["method"] == "stamp")
        #expect(stamp["params"]?["deps"]?.arrayValue?.count == 2)
    }

    @Test func recognisesErrorAnswers() {
        func isError(_ line: String) -> Bool {
            Array(line.utf8).withUnsafeBytes { LoadConnectionHandler.isError($0) }
        }
        #expect(!isError(#"{"jsonrpc":"2.0","id":17,"result":{"valid":true}}"#))
        #expect(isError(#"{"jsonrpc":"2.0","id":17,"error":{"code":-32602,"message":"x"}}"#))
        #expect(isError(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"x"}}"#))
        #expect(isError("garbage"))
    }
}
