import TidemarkStore

/// Keeping the mirror current: one etcd watch of the prefix, moved to another member when
/// it stalls, and a fresh load when it cannot go on.
extension EtcdVersions {
    /// One watch of the prefix. When it stalls (its member cut off from the quorum while
    /// still reachable: the stream stays open and silent), it resumes from what the
    /// mirror holds on the next member; when it cannot go on (its revisions were
    /// compacted, or no member streams it), a fresh load and a new watch from there.
    func follow() async throws {
        var from = loadedAt + 1
        var member: Int?
        while !Task.isCancelled {
            switch await watch(from: from, startingAt: member) {
            case .cancelled:
                return
            case .stalled:
                from = mirror.readCurrent { $0.holds } + 1
                member = (member ?? client.preferredIndex) + 1
                logger.warning("etcd watch stalled behind the quorum, moving to another member", metadata: ["next": "\(from)"])
                continue
            case .failed(let error):
                logger.warning("etcd watch ended, reloading", metadata: ["error": "\(error.message)"])
            }
            do {
                from = try await Self.load(mirror, client: client, layout: layout, pageSize: loadPageSize) + 1
            } catch {
                logger.warning("etcd reload failed", metadata: ["error": "\(error.message)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    enum WatchEnding: Sendable {
        case cancelled
        case stalled
        case failed(EtcdError)
    }

    /// The watch from `from`, beside a check every 100 ms that it has not stalled.
    func watch(from: Int64, startingAt member: Int?) async -> WatchEnding {
        let threshold = min(.seconds(1), mirrorTimeoutValue / 2)
        return await withTaskGroup(of: WatchEnding?.self) { group in
            group.addTask {
                do throws(EtcdError) {
                    try await self.client.watch(
                        self.layout.prefix, rangeEnd: EtcdKeys.prefixEnd(self.layout.prefix), from: from, progressNotify: true,
                        startingAt: member
                    ) { self.mirror.apply($0) }
                    return .cancelled
                } catch {
                    return Task.isCancelled ? .cancelled : .failed(error)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    if self.mirror.isStalled(for: threshold) { return .stalled }
                }
                return nil
            }
            let ending = await group.next() ?? nil
            group.cancelAll()
            return ending ?? .cancelled
        }
    }
}
