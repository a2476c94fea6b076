import Foundation

/// Hosts for one test, on one machine: each is a network namespace with its own address,
/// joined to the test's own namespace (the root) through a veth pair on a bridge, so that
/// what runs in one really talks over a network to the others. `partition(_:)` cuts a
/// host off from the other hosts while the root still reaches it (as a minority member
/// still reachable by its own clients). Needs root; the addresses are a private /24
/// picked at random, so tests may run side by side.
public final class IsolatedHosts: Sendable {
    public let names: [String]
    /// The address of each host; the root's is `gateway`.
    public let addresses: [String]
    public let gateway: String
    private let bridge: String

    /// Makes `count` hosts, runs `body`, and removes them (and their links) however it
    /// ends. Whatever runs inside them must be stopped by `body` first.
    public static func with<Result>(_ count: Int, _ body: (IsolatedHosts) async throws -> Result) async throws -> Result {
        let hosts = IsolatedHosts(count)
        do {
            try await hosts.create()
        } catch {
            await hosts.remove()
            throw error
        }
        do {
            let result = try await body(hosts)
            await hosts.remove()
            return result
        } catch {
            await hosts.remove()
            throw error
        }
    }

    private init(_ count: Int) {
        let tag = String(UInt16.random(in: 0x1000...0xffff), radix: 16)
        let subnet = "10.\(Int.random(in: 200...249)).\(Int.random(in: 1...250))"
        names = (0..<count).map { "tm\(tag)h\($0)" }
        addresses = (0..<count).map { "\(subnet).\(10 + $0)" }
        gateway = "\(subnet).1"
        bridge = "tm\(tag)br"
    }

    /// `ip netns exec NAME` followed by a command: the arguments that run it in host `index`.
    public func command(in index: Int, _ executable: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        (Self.ip, ["netns", "exec", names[index], executable] + arguments)
    }

    /// Drops every packet between host `index` and the other hosts, both ways: each side
    /// routes the other into a blackhole (one side alone would still deliver what the
    /// other sends on a connection already open). The root still reaches every host.
    public func partition(_ index: Int) async throws {
        try await routes("add", index)
    }

    public func heal(_ index: Int) async throws {
        try await routes("del", index)
    }

    private func routes(_ verb: String, _ index: Int) async throws {
        for (other, address) in addresses.enumerated() where other != index {
            try await ip(["netns", "exec", names[index], Self.ip, "route", verb, "blackhole", "\(address)/32"])
            try await ip(["netns", "exec", names[other], Self.ip, "route", verb, "blackhole", "\(addresses[index])/32"])
        }
    }

    private func create() async throws {
        try await ip(["link", "add", bridge, "type", "bridge"])
        try await ip(["addr", "add", "\(gateway)/24", "dev", bridge])
        try await ip(["link", "set", bridge, "up"])
        for (index, name) in names.enumerated() {
            let outside = "\(name)o"
            let inside = "\(name)i"
            try await ip(["netns", "add", name])
            try await ip(["link", "add", outside, "type", "veth", "peer", "name", inside])
            try await ip(["link", "set", inside, "netns", name])
            try await ip(["link", "set", outside, "master", bridge])
            try await ip(["link", "set", outside, "up"])
            try await ip(["netns", "exec", name, Self.ip, "addr", "add", "\(addresses[index])/24", "dev", inside])
            try await ip(["netns", "exec", name, Self.ip, "link", "set", inside, "up"])
            try await ip(["netns", "exec", name, Self.ip, "link", "set", "lo", "up"])
        }
    }

    private func remove() async {
        for name in names {
            // Deleting one end deletes the pair; the namespace's end would go only once the
            // kernel destroys the namespace, which need not happen at once.
            _ = try? await ip(["link", "del", "\(name)o"])
            _ = try? await ip(["netns", "del", name])
        }
        _ = try? await ip(["link", "del", bridge])
    }

    static let ip = FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"

    @discardableResult
    private func ip(_ arguments: [String]) async throws -> String {
        try await ShortCommand.run(Self.ip, arguments)
    }
}
