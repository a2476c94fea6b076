import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// Watches: every change to a range of keys from a revision on, in revision order.
extension EtcdClient {
    /// Delivers every change to `[key, rangeEnd)` from `startRevision` on, in order, each
    /// revision once, until the task is cancelled. When a member's stream breaks it goes on
    /// from the next revision not yet delivered on another member, so nothing is missed or
    /// repeated across failovers. `progressNotify` asks etcd for empty messages now and
    /// then that say how far the watch has seen (their `header.revision`).
    ///
    /// Throws `compacted` when `startRevision` (or the revision to resume from) is older
    /// than etcd keeps, and `unavailable` after `retryFor` without any member streaming.
    /// `startingAt` (an index into the endpoints, wrapped) is the member to stream from
    /// first, instead of the one that answered last.
    public func watch(
        _ key: [UInt8], rangeEnd: [UInt8] = [], from startRevision: Int64, progressNotify: Bool = false,
        retryFor: Duration = .seconds(30), startingAt startMember: Int? = nil,
        _ deliver: (EtcdWatchResponse) async -> Void
    ) async throws(EtcdError) {
        var next = startRevision
        var failingSince: ContinuousClock.Instant?
        var member = startMember ?? preferredIndex
        let firstMember = member
        while !Task.isCancelled {
            let url = endpoints.urls[member % endpoints.urls.count]
            let request = WatchCreateRequest(key: key, rangeEnd: rangeEnd, startRevision: next, progressNotify: progressNotify)
            let ended = await stream(url: url, request) { (response) throws(EtcdError) in
                if response.canceled {
                    if response.compactRevision > 0 {
                        throw EtcdError(
                            .compacted, "etcd compacted the revisions this watch needs (asked \(next), oldest \(response.compactRevision))")
                    }
                    throw EtcdError(.unavailable, "etcd at \(url) cancelled the watch: \(response.cancelReason)")
                }
                if let last = response.events.last {
                    next = last.kv.modRevision + 1
                } else if !response.created, response.header.revision >= next {
                    // A progress report: everything up to its revision has been delivered.
                    next = response.header.revision + 1
                }
                failingSince = nil
                if response.created && response.events.isEmpty { return }
                await deliver(response)
            }
            if Task.isCancelled { return }
            if let ended, ended.code == .compacted { throw ended }
            let now = ContinuousClock.now
            let since = failingSince ?? now
            failingSince = since
            if now - since >= retryFor {
                throw EtcdError(.unavailable, "no etcd member streams the watch (last: \(ended?.message ?? "stream ended"))", cause: ended)
            }
            logger.debug(
                "etcd watch stream ended, resuming",
                metadata: ["endpoint": "\(url)", "next": "\(next)", "error": "\(ended.map { "\($0.message) \($0.cause.map { "\($0)" } ?? "")" } ?? "none")"])
            member += 1
            if member % endpoints.urls.count == firstMember % endpoints.urls.count {
                // Every member was tried once: pause before the next round.
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    var preferredIndex: Int { preferredMember }

    /// One stream from one member, until it ends; returns why it ended (nil: it just ended).
    private func stream(
        url: String, _ create: WatchCreateRequest, _ handle: (EtcdWatchResponse) async throws(EtcdError) -> Void
    ) async -> EtcdError? {
        var request = HTTPClientRequest(url: url + "/v3/watch")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        do {
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(create)))
        } catch {
            return EtcdError(.invalidRequest, "cannot encode a watch request", cause: error)
        }
        do {
            let response = try await http.execute(request, deadline: .distantFuture, logger: logger)
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: Self.maxResponseBytes)
                return EtcdError.answered(status: response.status.code, body: body, endpoint: url)
            }
            var pending = ByteBuffer()
            for try await part in response.body {
                var part = part
                pending.writeBuffer(&part)
                while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let length = newline - pending.readerIndex
                    let line = pending.readSlice(length: length)!
                    pending.moveReaderIndex(forwardBy: 1)
                    let message = try Self.decode(StreamedResult<EtcdWatchResponse>.self, line, path: "/v3/watch")
                    if let error = message.error { return EtcdError(.unavailable, "etcd at \(url): \(error.message)") }
                    guard let result = message.result else { continue }
                    try await handle(result)
                }
                pending.discardReadBytes()
                if pending.readableBytes > Self.maxResponseBytes {
                    return EtcdError(.protocolViolation, "etcd at \(url) sent a watch message over \(Self.maxResponseBytes) bytes")
                }
            }
            return nil
        } catch let error as EtcdError {
            return error
        } catch {
            return EtcdError(.unavailable, "the watch stream from \(url) broke", cause: error)
        }
    }
}
