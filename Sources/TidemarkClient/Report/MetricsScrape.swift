#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a server's Prometheus metrics page (`tidemark serve --metrics-listen`) with one
/// plain HTTP/1.0 GET. Blocking, with a timeout: meant for a command such as `tidemark
/// report`, not for an event loop.
public enum MetricsScrape {
    /// `address` is `PORT` (loopback), `HOST:PORT` or `[IPv6]:PORT`, as `--metrics-listen`
    /// takes it. Returns the response body.
    public static func fetch(_ address: String, timeoutSeconds: Int = 10) throws(TidemarkClientError) -> String {
        let (host, port) = try split(address)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &list) == 0, let first = list else {
            throw TidemarkClientError(.connectionFailed, "cannot resolve the metrics address \(address)")
        }
        defer { freeaddrinfo(list) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), first.pointee.ai_protocol)
        guard descriptor >= 0 else { throw failure("cannot open a socket for \(address)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw failure("cannot connect to the metrics endpoint \(address)")
        }
        let request = Array("GET /metrics HTTP/1.0\r\nHost: \(host)\r\nAccept: text/plain\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("cannot send to the metrics endpoint \(address)") }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read from the metrics endpoint \(address)") }
            if count == 0 { break }
            response += buffer[..<count]
            guard response.count < 64 << 20 else {
                throw TidemarkClientError(.invalidResponse, "the metrics page of \(address) is over 64 MiB")
            }
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard response.starts(with: Array("HTTP/1.".utf8)),
              let headerEnd = (0..<max(0, response.count - 3)).first(where: { response[$0..<$0 + 4].elementsEqual(separator) })
        else {
            throw TidemarkClientError(.invalidResponse, "\(address) did not answer HTTP")
        }
        let statusLine = String(decoding: response[..<headerEnd], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        guard status == "200" else {
            throw TidemarkClientError(.invalidResponse, "\(address)/metrics answered HTTP status \(status)")
        }
        return String(decoding: response[(headerEnd + 4)...], as: UTF8.self)
    }

    static func split(_ address: String) throws(TidemarkClientError) -> (host: String, port: String) {
        if !address.isEmpty, address.allSatisfy(\.isNumber) { return ("127.0.0.1", address) }
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            let rest = address[address.index(after: close)...]
            guard rest.hasPrefix(":"), rest.count > 1 else { throw invalid(address) }
            return (String(address[address.index(after: address.startIndex)..<close]), String(rest.dropFirst()))
        }
        guard let colon = address.lastIndex(of: ":"), colon != address.startIndex,
              address.index(after: colon) != address.endIndex
        else { throw invalid(address) }
        return (String(address[..<colon]), String(address[address.index(after: colon)...]))
    }

    private static func invalid(_ address: String) -> TidemarkClientError {
        .invalidArgument("\"\(address)\" is not a metrics address (give PORT, HOST:PORT or [IPv6]:PORT)")
    }

    private static func failure(_ message: String) -> TidemarkClientError {
        TidemarkClientError(.connectionFailed, "\(message): \(String(cString: strerror(errno)))")
    }
}
