/// The names recent revisions dropped, for a writer's answer (`invalidated`): the mirror
/// works them out as its watch applies each write, and the writer, which waits until the
/// mirror has its write, reads them here. Only the newest `capacity` revisions that
/// dropped any are kept; a writer waits only a moment, far fewer writes than that.
struct DroppedNames: Sendable {
    private var byRevision: [Int64: [String]] = [:]
    private var order: [Int64] = []
    private var oldest = 0
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    mutating func add(_ names: [String], at revision: Int64) {
        if byRevision.updateValue(names, forKey: revision) == nil { order.append(revision) }
        if order.count - oldest > capacity {
            byRevision[order[oldest]] = nil
            oldest += 1
            // Compacted now and then, not on every add.
            if oldest >= capacity {
                order.removeFirst(oldest)
                oldest = 0
            }
        }
    }

    func names(at revision: Int64) -> [String] {
        byRevision[revision] ?? []
    }
}
