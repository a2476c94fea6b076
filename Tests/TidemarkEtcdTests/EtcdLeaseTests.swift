import Foundation
import Logging
import Testing
@testable import TidemarkEtcd
import TidemarkStore
import TidemarkTestSupport

extension EtcdSuites {
    /// The etcd leases behind intents: an intent's lease is revoked once the intent is
    /// closed, so etcd's lease table holds only open intents' leases.
    @Suite struct EtcdLeaseTests {
        @Test func aClosedIntentsLeaseIsRevoked() async throws {
            let cluster = try await EtcdCluster.start()
            try await EtcdVersionsTests.withVersions(cluster) { versions in
                for committing in [true, false] {
                    let begun = try await versions.begin([Change(table: "users", keys: ["1"])], lease: 600_000)
                    let stored = try #require(try await versions.client.get(versions.layout.intent(begun.intent)))
                    let lease = try JSONDecoder().decode(StoredIntent.self, from: Data(stored.value)).lease
                    #expect(try await versions.client.keepAlive(lease: lease) > 0)
                    _ = try await versions.close(begun.intent, committing: committing)
                    let revoked = try await Eventually.holds {
                        do {
                            _ = try await versions.client.keepAlive(lease: lease)
                            return false
                        } catch {
                            return (error as? EtcdError)?.code == .leaseNotFound
                        }
                    }
                    #expect(revoked, "the lease of an intent closed by \(committing ? "commit" : "abort") is still alive")
                }
            }
        }
    }
}
