import Testing
@testable import TidemarkEtcd
import TidemarkStore

/// The mirror's name index on its own: which write drops which names, and which server
/// sweeps their keys.
@Suite struct MirroredNamesTests {
    let layout = EtcdLayout(prefix: Array("/t/".utf8))

    @Test func aWriteDropsTheNamesOnItsKeysAndItsServerSweepsThemFirst() {
        var names = MirroredNames(layout: layout)
        let far = UInt64.max / 2
        names.put("a", StoredName(lsn: 10, deps: [Dep(table: "users", key: "1")], expiresAt: far, by: "s1"), revision: 11, versions: [:])
        names.put("b", StoredName(lsn: 10, deps: [Dep(table: "users")], expiresAt: far, by: "s1"), revision: 12, versions: [:])
        names.put("c", StoredName(lsn: 10, deps: [Dep(table: "orders", key: "1")], expiresAt: far, by: "s1"), revision: 13, versions: [:])

        // A keyed write on users:2 puts t/users and k/users/2: only the table dep drops.
        #expect(names.advance(layout.table("users"), at: 20, by: "s2") == ["b"])
        #expect(names.advance(layout.key("users", "2"), at: 20, by: "s2").isEmpty)
        // A wide write on users drops the key dep through w/users.
        #expect(names.advance(layout.wide("users"), at: 21, by: "s2") == ["a"])
        #expect(Set(names.live.keys) == ["c"])

        // Server s2 wrote both: it sweeps them now; s3 only after the grace.
        #expect(names.due(for: "s2", grace: .seconds(60)).map(\.name) == ["a", "b"])
        #expect(names.due(for: "s3", grace: .seconds(60)).isEmpty)
        #expect(names.due(for: "s3", grace: .zero).map(\.revision) == [11, 12])
        names.swept(["a": 11])
        #expect(names.due(for: "s2", grace: .seconds(60)).map(\.name) == ["b"])
    }

    @Test func aNameRegisteredAfterAWriteItRacedIsDroppedOnArrivalAndExpiredNamesGoToTheirRegistrar() {
        var names = MirroredNames(layout: layout)
        let versions = [layout.key("users", "1"): Int64(30)]
        names.put("late", StoredName(lsn: 25, deps: [Dep(table: "users", key: "1")], expiresAt: 1_000, by: "s1"), revision: 31, versions: versions)
        #expect(names.live.isEmpty)
        #expect(names.due(for: "anyone", grace: .seconds(60)).map(\.name) == ["late"])

        names.put("short", StoredName(lsn: 40, deps: [], expiresAt: 1_050, by: "s1"), revision: 41, versions: versions)
        names.expire(now: 1_049)
        #expect(names.live.keys.contains("short"))
        names.expire(now: 1_100)
        #expect(!names.live.keys.contains("short"))
        #expect(names.due(for: "s1", grace: .seconds(60)).map(\.name) == ["late", "short"])
        #expect(names.due(for: "s2", grace: .seconds(60)).map(\.name) == ["late"])
    }
}
