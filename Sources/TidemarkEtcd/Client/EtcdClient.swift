import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import Synchronization

/// A client of an etcd v3 cluster through its JSON gateway (`/v3/...` on each member's
/// client URL), with failover across the members.
///
/// Why the gateway and not gRPC: measured from one client process on this project's
/// 2-core machine against a 3-member loopback cluster, the gateway and gRPC answered within
/// noise of each other (linearizable range 887–944 µs vs 822–995 µs, Txn put 1.3–1.8 ms
/// both; protocol/ETCD.md), and the gateway needs no generated code and no HTTP/2 stack
/// of ours. A member's consensus round, not the encoding, is the cost.
///
/// Failover: a request goes to the member that last answered; when that member cannot be
/// reached it moves to the next. A read (or anything else that is safe to repeat) also
/// moves on after a timeout or a dropped connection; a request that changes state does
/// not, because it may have been applied: it fails with `outcomeUnknown`, and the caller
/// (whose transactions are built to be idempotent) decides.
public final class EtcdClient: Sendable {
    public let endpoints: EtcdEndpoints
    let http: HTTPClient
    let requestTimeout: TimeAmount
    let logger: Logger
    /// The index in `endpoints` of the member that answered last.
    private let preferred = Atomic<Int>(0)

    /// Whether a request may be sent again after it may have reached etcd.
    enum Repeatable {
        case yes
        /// Changes state: repeated only when it certainly did not reach any member.
        case no
    }

    /// `connectTimeout` bounds how long a member that is down holds a request before the
    /// next is tried; `requestTimeout` how long an answer may take once sent.
    public init(
        endpoints: EtcdEndpoints, requestTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(1), logger: Logger
    ) {
        self.endpoints = endpoints
        self.requestTimeout = .nanoseconds(Int64(requestTimeout / .nanoseconds(1)))
        self.logger = logger
        var configuration = HTTPClient.Configuration()
        // A member that is down must not hold a request for AsyncHTTPClient's default 10 s
        // connect timeout before the next member is tried.
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .nanoseconds(Int64(connectTimeout / .nanoseconds(1))))
        // HTTP/1.1 carries one request per connection at a time: AsyncHTTPClient's default
        // of 8 connections per member capped a server's writes in flight at 8 (0.43x a
        // bare etcd's Txn rate at 50 clients).
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: Self.connectionsPerMember)
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration, backgroundActivityLogger: logger)
    }

    /// Requests in flight to one member at once.
    static let connectionsPerMember = 128

    /// The member that answered last, to start a watch on.
    var preferredMember: Int { preferred.load(ordering: .relaxed) }

    /// Closes every connection. Call once, after the last request.
    public func shutdown() async {
        do {
            try await http.shutdown()
        } catch {
            logger.debug("etcd client shutdown", metadata: ["error": "\(error)"])
        }
    }

    /// POSTs `body` to `path` on the preferred member, moving to the next as `repeatable`
    /// allows, and decodes the answer. With `member`, asks that one only.
    func call<Response: Decodable>(
        _ path: String, _ body: some Encodable, repeatable: Repeatable, member: String? = nil
    ) async throws(EtcdError) -> Response {
        let payload: Data
        do {
            payload = try JSONEncoder().encode(body)
        } catch {
            throw EtcdError(.invalidRequest, "cannot encode the request to \(path)", cause: error)
        }
        let urls = member.map { [$0] } ?? endpoints.urls
        let first = member == nil ? preferred.load(ordering: .relaxed) : 0
        var last = EtcdError(.unavailable, "no etcd endpoint")
        for attempt in 0..<urls.count {
            let index = (first + attempt) % urls.count
            let outcome = await send(urls[index] + path, payload)
            switch outcome {
            case .answered(let status, let bytes):
                if status == 200 {
                    if attempt > 0, member == nil { preferred.store(index, ordering: .relaxed) }
                    return try Self.decode(Response.self, bytes, path: path)
                }
                let error = EtcdError.answered(status: status, body: bytes, endpoint: urls[index])
                guard error.mayTryAnotherMember(repeatable: repeatable) else { throw error }
                last = error
            case .notSent(let cause):
                last = EtcdError(.unavailable, "etcd at \(urls[index]) cannot be reached", cause: cause)
            case .unanswered(let cause):
                guard repeatable == .yes else {
                    throw EtcdError(.outcomeUnknown, "etcd at \(urls[index]) did not answer \(path); it may have been applied", cause: cause)
                }
                last = EtcdError(.unavailable, "etcd at \(urls[index]) did not answer", cause: cause)
            }
            logger.debug("etcd member failed, trying the next", metadata: ["endpoint": "\(urls[index])", "error": "\(last.message)"])
        }
        throw EtcdError(.unavailable, "no etcd member could serve \(path) (last: \(last.message))", cause: last)
    }

    enum Outcome {
        case answered(status: UInt, body: ByteBuffer)
        /// The request certainly did not reach etcd (no connection could be made).
        case notSent(any Error)
        /// It may have reached etcd; no answer came back.
        case unanswered(any Error)
    }

    private func send(_ url: String, _ payload: Data) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: payload))
        do {
            let response = try await http.execute(request, timeout: requestTimeout, logger: logger)
            let body = try await response.body.collect(upTo: Self.maxResponseBytes)
            return .answered(status: response.status.code, body: body)
        } catch {
            return EtcdError.isConnectFailure(error) ? .notSent(error) : .unanswered(error)
        }
    }

    /// etcd's own default limit on a request is 1.5 MiB; an answer (a range) can be larger.
    static let maxResponseBytes = 64 << 20

    static func decode<Response: Decodable>(_ type: Response.Type, _ bytes: ByteBuffer, path: String) throws(EtcdError) -> Response {
        do {
            return try JSONDecoder().decode(Response.self, from: bytes)
        } catch {
            throw EtcdError(.protocolViolation, "cannot read etcd's answer to \(path)", cause: error)
        }
    }
}
