import Testing
import TidemarkClient
import TidemarkProtocol

/// What the client does when the server hangs up, notifies, or misbehaves — driven by a
/// scripted server so each case happens exactly when the test needs it.
@Suite("TidemarkClient connection handling", .timeLimit(.minutes(1)))
struct ConnectionTests {
    @Test func aCallPendingWhenTheServerHangsUpFailsWithConnectionClosed() async throws {
        try await withFakeServer(reply: { _ in .close }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            let error = await #expect(throws: TidemarkClientError.self) { try await client.call("ping") }
            #expect(error?.code == .connectionClosed)
            let next = await #expect(throws: TidemarkClientError.self) { try await client.call("ping") }
            #expect(next?.code == .connectionClosed)
        }
    }

    @Test func manyPendingCallsAllFailWhenTheServerHangsUp() async throws {
        // Answers nothing until the tenth request, then hangs up on all ten.
        let count = Counter()
        try await withFakeServer(reply: { _ in count.increment() == 10 ? .close : .nothing }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            let codes = await withTaskGroup(of: TidemarkClientError.Code?.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do throws(TidemarkClientError) {
                            _ = try await client.call("ping")
                            return nil
                        } catch {
                            return error.code
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(codes == Array(repeating: .connectionClosed, count: 10))
        }
    }

    @Test func notificationsAreDeliveredAndUnknownOnesDoNotDisturbCalls() async throws {
        try await withFakeServer(reply: { request in
            .lines([
                #"{"jsonrpc":"2.0","method":"something.new","params":{"x":1}}"#,
                #"{"jsonrpc":"2.0","method":"watch.event","params":{"watch":7}}"#,
                FakeServer.result(["pong": true], to: request),
            ])
        }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            #expect(try await client.call("ping") == ["pong": true])
            var notifications = client.notifications.makeAsyncIterator()
            let first = await notifications.next()
            let second = await notifications.next()
            #expect(first == RPCNotification(method: "something.new", params: ["x": 1]))
            #expect(second == RPCNotification(method: RPCNotificationMethod.watchEvent, params: ["watch": 7]))
            await client.close()
        }
    }

    @Test func answersAreMatchedByIdNotByArrival() async throws {
        // Holds the first request and answers both, in reverse order, on the second.
        let held = Held()
        try await withFakeServer(reply: { request in
            guard let first = held.swap(request) else { return .nothing }
            return .lines([
                FakeServer.result("second", to: request),
                FakeServer.result("first", to: first),
            ])
        }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            var received = server.received.makeAsyncIterator()
            async let first = client.call("first")
            _ = await received.next()
            async let second = client.call("second")
            #expect(try await first == "first")
            #expect(try await second == "second")
            await client.close()
        }
    }

    @Test func anAnswerWithNullIdFailsTheOldestWaitingCall() async throws {
        let held = Held()
        try await withFakeServer(reply: { request in
            guard held.swap(request) != nil else { return .nothing }
            return .lines([
                #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"invalid request: line too long"}}"#,
                FakeServer.result("fine", to: request),
            ])
        }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            var received = server.received.makeAsyncIterator()
            async let first = outcome { try await client.call("first") }
            _ = await received.next()
            let second = await outcome { try await client.call("second") }
            // Both answers arrived in one read, so `first` is settled by now; closing ends
            // its wait if the error went to the wrong call.
            await client.close()
            #expect(try second.get() == "fine")
            guard case .failure(let error) = await first else {
                Issue.record("the first call should have failed")
                return
            }
            #expect(error.code == .server)
            #expect(error.rpcError?.code == RPCError.Code.invalidRequest)
        }
    }

    @Test func cancellingAWaitingCallEndsItAndLeavesTheConnectionUsable() async throws {
        try await withFakeServer(reply: { request in
            request["method"] == "ping" ? .lines([FakeServer.result([:], to: request)]) : .nothing
        }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            var received = server.received.makeAsyncIterator()
            let result = await withTaskGroup(of: Result<JSONValue, TidemarkClientError>.self) { group in
                group.addTask { await outcome { try await client.call("hold") } }
                _ = await received.next()
                group.cancelAll()
                return await group.next()!
            }
            guard case .failure(let error) = result else {
                Issue.record("a call that was never answered succeeded")
                return
            }
            #expect(error.code == .cancelled)
            #expect(try await client.call("ping") == [:])
            await client.close()
        }
    }

    @Test func aLineThatIsNotJSONFailsEveryCallAndClosesTheConnection() async throws {
        try await withFakeServer(reply: { _ in .lines(["this is not json"]) }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            let error = await #expect(throws: TidemarkClientError.self) { try await client.call("ping") }
            #expect(error?.code == .invalidResponse)
            let next = await #expect(throws: TidemarkClientError.self) { try await client.call("ping") }
            #expect(next?.code == .invalidResponse || next?.code == .connectionClosed)
        }
    }

    @Test func aResultOfTheWrongShapeIsAnInvalidResponse() async throws {
        try await withFakeServer(reply: { request in .lines([FakeServer.result(["lsn": "nine"], to: request)]) }) { server in
            let client = try await TidemarkClient.connect(socketPath: server.socketPath)
            let error = await #expect(throws: TidemarkClientError.self) { try await client.compact(before: 3) }
            #expect(error?.code == .invalidResponse)
            await client.close()
        }
    }

    private func withFakeServer(
        reply: @escaping @Sendable (JSONValue) -> FakeServer.Reply,
        _ body: (FakeServer) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let server = try await FakeServer.start(socketPath: directory.appending("fake.sock"), reply: reply)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

/// A call's result, for the places a throwing expression cannot go (`async let` read in a
/// `guard`, a task group's child).
private func outcome(
    _ body: () async throws -> JSONValue
) async -> Result<JSONValue, TidemarkClientError> {
    do {
        return .success(try await body())
    } catch let error as TidemarkClientError {
        return .failure(error)
    } catch {
        Issue.record("a call threw \(error), not a TidemarkClientError")
        return .failure(TidemarkClientError(.invalidResponse, "\(error)"))
    }
}
