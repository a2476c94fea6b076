import Testing
import TidemarkProtocol
import TidemarkTestSupport

@Suite("The server agrees with a reference model of the rules")
struct ModelBasedTests {
    static let tables = ["t0", "t1", "t2", "t3"]
    static let keys = ["k0", "k1", "k2", "k3", "k4", "k5"]

    @Test(arguments: [UInt64(1), 2, 3])
    func randomOperationsMatchTheModel(seed: UInt64) async throws {
        try await TestServer.withServer(configure: { $0.store.durable = false }) { server in
            try await LineClient.with(server.socketPath) { client in
                var random = SeededGenerator(seed: seed)
                var model = ReferenceModel()
                let epoch = try await client.result("hello").objectValue?["epoch"] ?? .null
                for step in 0..<1500 {
                    let context = Comment(rawValue: "seed \(seed) step \(step)")
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0..<4:
                        let changes = Self.randomChanges(&random)
                        let expected = model.write(changes)
                        let result = try await client.result("write", [
                            "changes": .array(changes.map { change in
                                var object: JSONObject = ["table": .string(change.table)]
                                if let keys = change.keys { object["keys"] = .array(keys.map(JSONValue.string)) }
                                return .object(object)
                            })
                        ])
                        #expect(result.objectValue?["lsn"] == JSONValue(expected), context)
                    case 4..<6:
                        let deps = Self.randomDeps(&random)
                        let result = try await client.result("stamp", ["deps": Self.json(deps)])
                        #expect(result.objectValue?["lsn"] == JSONValue(model.lsn), context)
                        #expect(
                            result.objectValue?["versions"]
                                == .array(deps.map { JSONValue(model.version(table: $0.table, key: $0.key)) }), context)
                    default:
                        let deps = Self.randomDeps(&random)
                        let stamp = UInt64.random(in: 0...(model.lsn + 2), using: &random)
                        let expected = model.check(lsn: stamp, deps: deps)
                        let result = try #require(
                            try await client.result("check", ["epoch": epoch, "lsn": JSONValue(stamp), "deps": Self.json(deps)]).objectValue)
                        #expect(result["valid"] == .bool(expected.valid), context)
                        #expect(result["reason"]?.stringValue == expected.reason, context)
                        let changed: [UInt64] = result["changed"]?.arrayValue?.compactMap { $0.objectValue?["version"]?.uint64Value } ?? []
                        #expect(changed == expected.changed, context)
                    }
                }
            }
        }
    }

    static func randomChanges(_ random: inout SeededGenerator) -> [(table: String, keys: [String]?)] {
        (0..<Int.random(in: 1...3, using: &random)).map { _ in
            let table = tables.randomElement(using: &random)!
            if Int.random(in: 0..<5, using: &random) == 0 { return (table, nil) }
            var chosen = Set<String>()
            for _ in 0..<Int.random(in: 1...3, using: &random) { chosen.insert(Self.keys.randomElement(using: &random)!) }
            return (table, chosen.sorted())
        }
    }

    static func randomDeps(_ random: inout SeededGenerator) -> [(table: String, key: String?)] {
        (0..<Int.random(in: 0...4, using: &random)).map { _ in
            let table = tables.randomElement(using: &random)!
            return (table, Bool.random(using: &random) ? keys.randomElement(using: &random)! : nil)
        }
    }

    static func json(_ deps: [(table: String, key: String?)]) -> JSONValue {
        .array(deps.map { dep in
            var object: JSONObject = ["table": .string(dep.table)]
            if let key = dep.key { object["key"] = .string(key) }
            return .object(object)
        })
    }
}
