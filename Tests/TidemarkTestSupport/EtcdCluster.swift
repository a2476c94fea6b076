import Foundation
import Synchronization

/// A real etcd cluster on loopback for one test: its members are child processes with data
/// in a temporary directory and ports picked free, stopped by PID (SIGKILL) when the
/// cluster is released. `kill(_:)` and `restart(_:)` make member faults.
public final class EtcdCluster: Sendable {
    public struct Member: Sendable {
        public let name: String
        public let clientURL: String
        public let peerURL: String
        public let dataDirectory: String
    }

    public let members: [Member]
    /// Where the members run: each on a host of its own, or all on loopback (nil).
    private let hosts: IsolatedHosts?
    private let directory: TemporaryDirectory
    private let processes: Mutex<[ChildProcess?]>

    /// The etcd binary (`$ETCD_BIN`, else etcd on the PATH); `make deps` installs it.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["ETCD_BIN"] { return path }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/etcd"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/etcd"
    }

    /// Starts `count` members and returns once every one of them serves clients. With
    /// `hosts`, member `i` runs on host `i` (etcd's default ports on its address).
    public static func start(members count: Int = 3, on hosts: IsolatedHosts? = nil) async throws -> EtcdCluster {
        let cluster = try EtcdCluster(members: count, hosts: hosts)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask { try await cluster.start(index, state: "new") }
            }
            try await group.waitForAll()
        }
        return cluster
    }

    private init(members count: Int, hosts: IsolatedHosts?) throws {
        let directory = try TemporaryDirectory()
        self.directory = directory
        self.hosts = hosts
        if let hosts {
            members = (0..<count).map { index in
                Member(
                    name: "m\(index)", clientURL: "http://\(hosts.addresses[index]):2379",
                    peerURL: "http://\(hosts.addresses[index]):2380", dataDirectory: "\(directory.path)/m\(index)")
            }
        } else {
            let ports = try FreePorts.take(2 * count)
            members = (0..<count).map { index in
                Member(
                    name: "m\(index)", clientURL: "http://127.0.0.1:\(ports[2 * index])",
                    peerURL: "http://127.0.0.1:\(ports[2 * index + 1])", dataDirectory: "\(directory.path)/m\(index)")
            }
        }
        processes = Mutex(Array(repeating: nil, count: count))
    }

    public var clientURLs: [String] { members.map(\.clientURL) }
    /// The `--etcd` argument naming every member.
    public var endpointList: String { clientURLs.joined(separator: ",") }

    /// SIGKILL of member `index`: no chance to flush anything.
    public func kill(_ index: Int) async {
        guard let process = processes.withLock({ $0[index] }) else { return }
        await process.kill()
        processes.withLock { $0[index] = nil }
    }

    /// Starts member `index` again on its data (after `kill`) and waits until it serves.
    public func restart(_ index: Int) async throws {
        try await start(index, state: "existing")
    }

    /// SIGKILL of every member; call before the hosts they run on are removed.
    public func stop() async {
        for index in members.indices { await kill(index) }
    }

    public func isRunning(_ index: Int) -> Bool {
        processes.withLock { $0[index]?.isRunning ?? false }
    }

    private func start(_ index: Int, state: String) async throws {
        let member = members[index]
        let cluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        let arguments = [
                "--name", member.name, "--data-dir", member.dataDirectory,
                "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
                "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
                "--initial-cluster", cluster, "--initial-cluster-state", state,
                "--initial-cluster-token", "tidemark-test-\(directory.path.suffix(8))",
                // Faster elections than the defaults (100 ms / 1 s) keep fault tests short.
                "--heartbeat-interval", "50", "--election-timeout", "500",
            ]
        let command = hosts?.command(in: index, Self.binary, arguments) ?? (executable: Self.binary, arguments: arguments)
        let process = try ChildProcess(executable: command.executable, arguments: command.arguments)
        processes.withLock { $0[index] = process }
        guard await process.waitForOutput("ready to serve client requests", seconds: 30) else {
            throw EtcdClusterError(message: "etcd member \(member.name) did not start:\n\(process.outputText.suffix(2000))")
        }
        // "Ready" is printed before the client port is sure to take connections on a
        // loaded machine (a first test once found no member reachable): wait until it does.
        guard hosts == nil, let port = Int(member.clientURL.split(separator: ":").last ?? "") else { return }
        let deadline = ContinuousClock.now + .seconds(30)
        while !FreePorts.accepts(port) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw EtcdClusterError(message: "etcd member \(member.name) does not take connections on port \(port):\n\(process.outputText.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))  // polling for readiness
        }
    }

    deinit {
        // ChildProcess kills a running member when released.
        processes.withLock { $0.removeAll() }
    }
}

public struct EtcdClusterError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}

/// Loopback TCP ports for test clusters, each handed out once per test process and free
/// when handed out. Taken below the kernel's ephemeral range (32768 on), where outgoing
/// connections get their ports: a port found free there could be taken by a client's
/// connection before etcd binds it.
enum FreePorts {
    private static let next = Mutex(Int.random(in: 21_000..<25_000))

    static func take(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        while ports.count < count {
            let candidate = next.withLock { port -> Int in
                defer { port = port >= 29_999 ? 21_000 : port + 1 }
                return port
            }
            if try isFree(candidate) { ports.append(candidate) }
        }
        return ports
    }

    /// Whether something on loopback takes a TCP connection on `port` now.
    static func accepts(_ port: Int) -> Bool {
        (try? withLoopbackSocket(port, connect)) == 0
    }

    private static func isFree(_ port: Int) throws -> Bool {
        try withLoopbackSocket(port, bind) == 0
    }

    /// `operation` (bind or connect) on a fresh TCP socket with 127.0.0.1:`port`.
    private static func withLoopbackSocket(
        _ port: Int, _ operation: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw EtcdClusterError(message: "socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { operation(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
