import Foundation
import Synchronization
import TidemarkTestSupport

/// A private PostgreSQL instance for one test: Debian's binaries, a data directory under
/// /tmp, its own port from 55432 upward and its Unix socket in that directory, run as the
/// `postgres` user when the tests run as root. Never the system cluster. Stopped (by the
/// PID in postmaster.pid) when released, whatever the test did.
final class PostgresServer: Sendable {
    let directory: String
    let port: Int
    private let walLevel: String

    static let binaries: String = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let newest = versions.compactMap(Int.init).max().map(String.init) ?? "15"
        return "\(root)/\(newest)/bin"
    }()

    private static let nextPort = Mutex(55432)

    /// The `key=value` DSN that reaches it as the superuser over the Unix socket (trust).
    var dsn: String { "host=\(directory) port=\(port) user=postgres dbname=postgres" }

    private init(walLevel: String) throws {
        directory = "/tmp/tm-pg-\(UUID().uuidString.prefix(8))"
        port = Self.freePort()
        self.walLevel = walLevel
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if getuid() == 0 {
            guard let owner = getpwnam("postgres") else { throw PostgresServerError(command: "getpwnam postgres", output: "no postgres user") }
            chown(directory, owner.pointee.pw_uid, owner.pointee.pw_gid)
        }
    }

    /// initdb, configure and start; the instance is stopped when the returned value goes.
    static func start(walLevel: String = "logical") async throws -> PostgresServer {
        let server = try PostgresServer(walLevel: walLevel)
        try await server.create()
        try await server.start()
        return server
    }

    private func create() async throws {
        try await asOwner(Self.binaries + "/initdb", ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        let settings = """
            port = \(port)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(directory)'
            wal_level = \(walLevel)
            max_wal_senders = 10
            max_replication_slots = 10
            fsync = off
            shared_buffers = 32MB
            """
        try await asOwner("/bin/sh", ["-c", "cat >> \(dataDirectory)/postgresql.conf <<'EOF'\n\(settings)\nEOF"])
        // SCRAM for TCP (the password test), trust on the private socket.
        try await asOwner("/bin/sh", ["-c", "printf 'local all all trust\\nlocal replication all trust\\nhost all all 127.0.0.1/32 scram-sha-256\\n' > \(dataDirectory)/pg_hba.conf"])
    }

    var dataDirectory: String { directory + "/data" }

    func start() async throws {
        try await asOwner(Self.binaries + "/pg_ctl", ["-D", dataDirectory, "-l", directory + "/log", "-w", "-t", "60", "start"])
    }

    /// `immediate` is a crash as far as the data is concerned: no checkpoint, so a slot's
    /// confirmed position falls back to its last saved one.
    func stop(mode: String = "fast") async throws {
        try await asOwner(Self.binaries + "/pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "-t", "60", "stop"])
    }

    func restart(mode: String) async throws {
        try await stop(mode: mode)
        try await start()
    }

    /// Runs SQL through `psql` (stops at the first error) and returns its unaligned output.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") async throws -> String {
        try await Self.run("/usr/bin/psql", ["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", "\(port)", "-U", "postgres", "-d", database, "-c", sql])
    }

    /// `psql` running in the background, for a stream of transactions to interrupt.
    func psqlProcess(_ sql: String) throws -> ChildProcess {
        try ChildProcess(executable: "/usr/bin/psql", arguments: ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", "\(port)", "-U", "postgres", "-c", sql])
    }

    deinit {
        if let pid = postmasterPID() {
            kill(pid, SIGQUIT)  // immediate shutdown
            for _ in 0..<300 where kill(pid, 0) == 0 { usleep(10_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func postmasterPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first
        else { return nil }
        return pid_t(first)
    }

    private func asOwner(_ executable: String, _ arguments: [String]) async throws {
        if getuid() == 0 {
            try await Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        } else {
            try await Self.run(executable, arguments)
        }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        try await ShortCommand.run(executable, arguments)
    }

    /// The next port from 55432 on that nothing listens on.
    private static func freePort() -> Int {
        nextPort.withLock { next in
            while true {
                let candidate = next
                next += 1
                if isFree(candidate) { return candidate }
            }
        }
    }

    private static func isFree(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct PostgresServerError: Error, CustomStringConvertible {
    var command: String
    var output: String
    var description: String { "\(command) failed:\n\(output)" }
}
