import Foundation

/// Where and as whom to connect, from a libpq connection string: `key=value` pairs
/// (`host=/var/run/postgresql dbname=app user=tidemark`) or a URI
/// (`postgresql://user:secret@127.0.0.1:5432/app`). What the string leaves out comes
/// from `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` and `PGDATABASE`, then libpq's defaults.
public struct PostgresDSN: Hashable, Sendable {
    public enum Endpoint: Hashable, Sendable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public static let keys: Set<String> = ["host", "port", "user", "password", "dbname", "sslmode", "application_name", "connect_timeout"]

    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(CaptureError) {
        let given = try text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
            ? Self.parseURI(text) : Self.parsePairs(text)
        for key in given.keys where !Self.keys.contains(key) {
            throw CaptureError(.configuration, "the DSN names \(key), which tidemark capture does not support (it knows \(Self.keys.sorted().joined(separator: ", ")))")
        }
        if let mode = given["sslmode"] ?? environment["PGSSLMODE"], ["require", "verify-ca", "verify-full"].contains(mode) {
            throw CaptureError(
                .configuration,
                "sslmode=\(mode): tidemark capture does not speak TLS; connect over a Unix socket or a trusted network (sslmode=disable or prefer)")
        }
        host = given["host"] ?? environment["PGHOST"] ?? "/var/run/postgresql"
        let portText = given["port"] ?? environment["PGPORT"] ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw CaptureError(.configuration, "the DSN's port \(portText) is not a port number")
        }
        self.port = port
        user = given["user"] ?? environment["PGUSER"] ?? Self.osUser()
        password = given["password"] ?? environment["PGPASSWORD"]
        database = given["dbname"] ?? environment["PGDATABASE"] ?? user
        guard !host.isEmpty, !user.isEmpty, !database.isEmpty else {
            throw CaptureError(.configuration, "the DSN needs a host, a user and a dbname")
        }
    }

    /// A host starting with `/` is the directory of the server's Unix socket, as in libpq.
    public var endpoint: Endpoint {
        host.hasPrefix("/") ? .unixSocket(path: "\(host)/.s.PGSQL.\(port)") : .tcp(host: host, port: port)
    }

    /// For logs and errors: never the password.
    public var summary: String {
        switch endpoint {
        case .tcp(let host, let port): "\(user)@\(host):\(port)/\(database)"
        case .unixSocket(let path): "\(user)@\(path)/\(database)"
        }
    }

    private static func osUser() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "postgres" }
        return String(cString: name)
    }

    /// `key=value` pairs separated by spaces; a value may be single-quoted, with `\'` and
    /// `\\` inside.
    static func parsePairs(_ text: String) throws(CaptureError) -> [String: String] {
        var result: [String: String] = [:]
        var characters = Substring(text)
        func skipSpaces() { while characters.first?.isWhitespace == true { characters.removeFirst() } }
        skipSpaces()
        while !characters.isEmpty {
            var key = ""
            while let next = characters.first, next != "=", !next.isWhitespace { key.append(characters.removeFirst()) }
            skipSpaces()
            guard characters.first == "=", !key.isEmpty else {
                throw CaptureError(.configuration, "the DSN is not key=value pairs (near \"\(key)\")")
            }
            characters.removeFirst()
            skipSpaces()
            var value = ""
            if characters.first == "'" {
                characters.removeFirst()
                var closed = false
                while let next = characters.first {
                    characters.removeFirst()
                    if next == "\\", let escaped = characters.first {
                        characters.removeFirst()
                        value.append(escaped)
                    } else if next == "'" {
                        closed = true
                        break
                    } else {
                        value.append(next)
                    }
                }
                guard closed else { throw CaptureError(.configuration, "the DSN's value of \(key) has no closing quote") }
            } else {
                while let next = characters.first, !next.isWhitespace {
                    characters.removeFirst()
                    if next == "\\", let escaped = characters.first {
                        characters.removeFirst()
                        value.append(escaped)
                    } else {
                        value.append(next)
                    }
                }
            }
            result[key] = value
            skipSpaces()
        }
        return result
    }

    /// `postgresql://[user[:password]@][host][:port][/dbname][?key=value&...]`.
    static func parseURI(_ text: String) throws(CaptureError) -> [String: String] {
        guard let components = URLComponents(string: text) else {
            throw CaptureError(.configuration, "the DSN is not a valid postgresql:// URI")
        }
        var result: [String: String] = [:]
        if let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty { result["user"] = user }
        if let password = components.percentEncodedPassword?.removingPercentEncoding { result["password"] = password }
        if let host = components.percentEncodedHost?.removingPercentEncoding, !host.isEmpty { result["host"] = host }
        if let port = components.port { result["port"] = String(port) }
        let path = components.percentEncodedPath.removingPercentEncoding ?? ""
        if path.count > 1 { result["dbname"] = String(path.dropFirst()) }
        for item in components.queryItems ?? [] {
            result[item.name] = item.value ?? ""
        }
        return result
    }
}
