import NIOCore
import TidemarkProtocol
import TidemarkStore

/// Delivers one watch to its connection: first the replay from the log, then the live
/// feed, each record once and in LSN order. Writing through the connection's outbound
/// writer waits while the client is not reading, which is what lets the hub's bounded
/// backlog fill and drop a watcher that is too slow.
struct WatchPump {
    let subscription: WatchSubscription
    let from: LSN?
    let backlog: any WatchBacklog
    let hub: WatchHub
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    static let replayPage = 1000

    func run() async {
        defer { hub.unsubscribe(subscription.id) }
        var delivered = (from ?? subscription.startLSN + 1) - 1
        do {
            if let from, from <= subscription.startLSN {
                delivered = try await replay(from: from)
            }
            for await event in subscription.events {
                let lsn = event.record.lsn
                guard lsn > delivered else { continue }
                try await send(WatchMethod.event(watch: subscription.id, record: event))
                delivered = lsn
            }
            if subscription.lost.isSet {
                try await send(WatchMethod.lost(watch: subscription.id, lsn: delivered))
            }
        } catch is StoreError {
            // The records still to replay were compacted away meanwhile.
            try? await send(WatchMethod.lost(watch: subscription.id, lsn: delivered))
        } catch {
            // The connection is gone; nothing left to tell.
        }
    }

    /// Sends the retained records from `from` through `startLSN`; returns the last LSN
    /// covered.
    private func replay(from: LSN) async throws -> LSN {
        var next = from
        var covered = from - 1
        while next <= subscription.startLSN && !Task.isCancelled {
            let page = try await backlog.page(LogQuery(from: next, limit: Self.replayPage, tables: subscription.tables))
            for record in page.records where record.lsn <= subscription.startLSN {
                try await send(WatchMethod.event(watch: subscription.id, record: CommittedRecord(record: record, invalidated: [])))
            }
            covered = min(page.next - 1, subscription.startLSN)
            guard page.next > next else { break }
            next = page.next
        }
        return covered
    }

    private func send(_ notification: RPCNotification) async throws {
        var buffer = ByteBuffer()
        notification.write(into: &buffer)
        try await outbound.write(buffer)
    }
}
