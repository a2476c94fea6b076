import Logging
import NIOCore
import NIOPosix

/// One connection to PostgreSQL speaking the frontend/backend protocol directly: startup,
/// authentication (trust, peer, password, SCRAM-SHA-256), simple queries, and the
/// CopyBoth stream of logical replication, which postgres-nio does not offer.
///
/// Used from one task; only `outbound` (for standby status updates) is shared.
final class PostgresConnection {
    typealias Channel = NIOAsyncChannel<BackendMessage, ByteBuffer>

    struct QueryResult: Sendable {
        var columns: [String] = []
        var rows: [[String?]] = []

        /// The first row's value of `column`, if there is a row.
        func value(_ column: String) -> String? {
            guard let index = columns.firstIndex(of: column), let row = rows.first, index < row.count else { return nil }
            return row[index]
        }
    }

    let dsn: PostgresDSN
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    /// The socket itself: closing it ends a `next()` that waits, from any task.
    let channel: any NIOCore.Channel
    let allocator = ByteBufferAllocator()
    private var inbound: NIOAsyncChannelInboundStream<BackendMessage>.AsyncIterator
    private let logger: Logger
    /// `server_version`, `integer_datetimes`, … as the server reported them.
    private(set) var parameters: [String: String] = [:]

    private init(
        dsn: PostgresDSN, channel: any NIOCore.Channel, inbound: NIOAsyncChannelInboundStream<BackendMessage>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, logger: Logger
    ) {
        self.dsn = dsn
        self.channel = channel
        self.inbound = inbound
        self.outbound = outbound
        self.logger = logger
    }

    /// Connects, authenticates (in logical replication mode when `replication`), runs
    /// `body`, and closes the connection however `body` ends.
    static func with<Result: Sendable>(
        _ dsn: PostgresDSN, replication: Bool, logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let channel = try await connect(dsn)
        return try await channel.executeThenClose { inbound, outbound in
            let connection = PostgresConnection(
                dsn: dsn, channel: channel.channel, inbound: inbound.makeAsyncIterator(), outbound: outbound, logger: logger)
            try await connection.startup(replication: replication)
            let result = try await body(connection)
            try? await outbound.write(FrontendMessage.terminate(allocator: connection.allocator))
            return result
        }
    }

    private static func connect(_ dsn: PostgresDSN) async throws(CaptureError) -> Channel {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(10))
        let initializer: @Sendable (any NIOCore.Channel) -> EventLoopFuture<Channel> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(BackendMessageDecoder()))
                return try Channel(wrappingChannelSynchronously: channel)
            }
        }
        do {
            switch dsn.endpoint {
            case .tcp(let host, let port):
                return try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
            case .unixSocket(let path):
                return try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
            }
        } catch {
            throw CaptureError(.connection, "cannot connect to PostgreSQL at \(dsn.summary): \(error)", cause: error)
        }
    }

    // MARK: Messages

    func send(_ buffer: ByteBuffer) async throws(CaptureError) {
        do {
            try await outbound.write(buffer)
        } catch {
            throw CaptureError(.connection, "the connection to PostgreSQL broke", cause: error)
        }
    }

    /// The next message that is not a notice or a parameter report; an ErrorResponse is
    /// returned like any other message, for the caller to decide.
    func next() async throws(CaptureError) -> BackendMessage {
        while true {
            let message: BackendMessage?
            do {
                message = try await inbound.next()
            } catch let error as CaptureError {
                throw error
            } catch {
                throw CaptureError(.connection, "the connection to PostgreSQL broke", cause: error)
            }
            switch message {
            case nil:
                throw CaptureError(.connection, "PostgreSQL closed the connection")
            case .notice(let notice)?:
                logger.debug("postgres notice", metadata: ["notice": "\(notice)"])
            case .parameterStatus(let name, let value)?:
                parameters[name] = value
            case let message?:
                return message
            }
        }
    }

    // MARK: Startup

    private func startup(replication: Bool) async throws(CaptureError) {
        var parameters = [("user", dsn.user), ("database", dsn.database), ("application_name", "tidemark-capture"),
                          ("client_encoding", "UTF8")]
        if replication { parameters.append(("replication", "database")) }
        try await send(FrontendMessage.startup(parameters, allocator: allocator))
        var scram: SCRAMClient?
        while true {
            switch try await next() {
            case .authentication(.ok):
                break
            case .authentication(.cleartextPassword):
                try await send(FrontendMessage.password(try requirePassword(), allocator: allocator))
            case .authentication(.sasl(let mechanisms)):
                guard mechanisms.contains(SCRAMClient.mechanism) else {
                    throw CaptureError(.authentication, "PostgreSQL offers SASL mechanisms \(mechanisms), none of which tidemark capture speaks (it speaks SCRAM-SHA-256)")
                }
                let client = SCRAMClient(password: try requirePassword())
                scram = client
                try await send(FrontendMessage.saslInitialResponse(mechanism: SCRAMClient.mechanism, client.firstMessage, allocator: allocator))
            case .authentication(.saslContinue(let data)):
                guard var client = scram else { throw CaptureError(.protocolViolation, "PostgreSQL continued a SASL exchange that never began") }
                let final = try client.finalMessage(serverFirst: data)
                scram = client
                try await send(FrontendMessage.saslResponse(final, allocator: allocator))
            case .authentication(.saslFinal(let data)):
                guard let client = scram else { throw CaptureError(.protocolViolation, "PostgreSQL ended a SASL exchange that never began") }
                try client.verify(serverFinal: data)
            case .authentication(.md5Password):
                throw CaptureError(
                    .authentication,
                    "PostgreSQL asks for md5 password authentication, which tidemark capture does not speak: store the role's password as SCRAM (password_encryption = scram-sha-256, then set it again), or allow trust/peer for the capture over the Unix socket")
            case .authentication(.unsupported(let code)):
                throw CaptureError(.authentication, "PostgreSQL asks for an authentication method (\(code)) that tidemark capture does not speak")
            case .error(let notice):
                var error = notice.error
                if notice.sqlState?.hasPrefix("28") == true { error.code = .authentication }
                throw error
            case .readyForQuery:
                return
            default:
                continue
            }
        }
    }

    private func requirePassword() throws(CaptureError) -> String {
        guard let password = dsn.password else {
            throw CaptureError(.authentication, "PostgreSQL asks for a password and the DSN has none (password=... or PGPASSWORD)")
        }
        return password
    }

    // MARK: Queries

    /// Runs one statement (or replication command) with the simple query protocol.
    @discardableResult
    func query(_ sql: String) async throws(CaptureError) -> QueryResult {
        try await send(FrontendMessage.query(sql, allocator: allocator))
        var result = QueryResult()
        var failure: CaptureError?
        while true {
            switch try await next() {
            case .rowDescription(let columns):
                result.columns = columns
            case .dataRow(let values):
                result.rows.append(values.map { $0.map { String(decoding: $0, as: UTF8.self) } })
            case .error(let notice):
                failure = notice.error
            case .readyForQuery:
                if let failure { throw failure }
                return result
            default:
                continue
            }
        }
    }

    /// Sends a command answered by CopyBothResponse (START_REPLICATION) and waits for it.
    func startCopyBoth(_ command: String) async throws(CaptureError) {
        try await send(FrontendMessage.query(command, allocator: allocator))
        while true {
            switch try await next() {
            case .copyBothResponse:
                return
            case .error(let notice):
                throw notice.error
            default:
                continue
            }
        }
    }
}
