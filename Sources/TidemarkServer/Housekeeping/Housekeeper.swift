import Logging
import NIOCore
import ServiceLifecycle
import TidemarkStore

/// Expires intents when their lease ends and purges names past their TTL, by queueing
/// `housekeeping` mutations through the writer at the time the store says work is due.
/// It looks again at least every `maxSleep`, so an intent begun with a short lease while
/// it sleeps expires at most that late. About once a second it also clears the reader
/// slots of same-host readers that died mid-read, which would otherwise pin old pages.
public final class Housekeeper: Service {
    private let store: any VersionStore
    private let writer: GroupCommitWriter
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let clock: @Sendable () -> Milliseconds
    private let maxSleep: Milliseconds = 100
    private let readerCheckInterval: Milliseconds = 1000

    init(
        store: any VersionStore, writer: GroupCommitWriter, eventLoop: any EventLoop, logger: Logger,
        clock: @escaping @Sendable () -> Milliseconds
    ) {
        self.store = store
        self.writer = writer
        self.eventLoop = eventLoop
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        // cancelOnGracefulShutdown ends the sleep at once when the server stops.
        try? await cancelWhenGracefulShutdown {
            var readersCheckedAt: Milliseconds = 0
            while !Task.isCancelled {
                if self.clock() >= readersCheckedAt + self.readerCheckInterval {
                    readersCheckedAt = self.clock()
                    self.clearStaleReaders()
                }
                let delay = await self.runDueWork()
                try await Task.sleep(for: .milliseconds(delay))
            }
        }
    }

    private func clearStaleReaders() {
        do {
            let cleared = try store.clearStaleReaders()
            if cleared > 0 { logger.notice("cleared stale reader slots", metadata: ["count": "\(cleared)"]) }
        } catch {
            logger.warning("cannot clear stale reader slots", metadata: ["error": "\(error)"])
        }
    }

    /// Runs housekeeping while work is due; returns how long to sleep.
    private func runDueWork() async -> Milliseconds {
        while true {
            let due: Milliseconds?
            do {
                due = try store.nextHousekeeping()
            } catch {
                logger.error("cannot read housekeeping times", metadata: ["error": "\(error)"])
                return maxSleep
            }
            let now = clock()
            guard let due, due <= now else {
                return min(maxSleep, (due ?? now + maxSleep) - now)
            }
            let promise = eventLoop.makePromise(of: MutationOutcome.self)
            writer.submit(MutationRequest(.housekeeping, peer: Peer(pid: 0, uid: 0, gid: 0)), promise: promise)
            do {
                if case .housekept(let intents, let names, _) = try await promise.futureResult.get(),
                   intents == 0 && names == 0 {
                    // Due by the clock but nothing changed (e.g. a name purged meanwhile): back off.
                    return maxSleep
                }
            } catch {
                logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
                return maxSleep
            }
        }
    }
}
