import TidemarkStore

/// What one table went through in a stretch of the log: when its version advanced, which
/// of those writes were wide, and when each key was named.
///
/// Only records that advance versions count as writes (`write`, `commit`, `expire`):
/// a `begin` or an `abort` invalidates nothing by itself.
public struct TableTimeline: Hashable, Sendable {
    public let table: String
    /// When each write to the table happened, sorted: every one advances `ver(table)`.
    public private(set) var writeTimes: [Milliseconds] = []
    /// The subset of `writeTimes` that changed the table wide (every key of it).
    public private(set) var wideTimes: [Milliseconds] = []
    /// For each key named by a write, when it was named, sorted. Wide writes are not
    /// repeated here.
    public private(set) var keyTimes: [String: [Milliseconds]] = [:]
    /// Keys named, summed over the writes (a write naming three keys adds three).
    public private(set) var keysTouched = 0

    public init(table: String) {
        self.table = table
    }

    /// One record's changes to this table: `keys` is nil when any of them was wide.
    mutating func add(time: Milliseconds, keys: Set<String>?) {
        writeTimes.append(time)
        guard let keys else {
            wideTimes.append(time)
            return
        }
        keysTouched += keys.count
        for key in keys { keyTimes[key, default: []].append(time) }
    }

    /// Sorts the times: records arrive in LSN order, and a clock step back can make a
    /// later record carry an earlier time.
    mutating func sortTimes() {
        writeTimes.sort()
        wideTimes.sort()
        for key in keyTimes.keys { keyTimes[key]?.sort() }
    }

    public var writes: Int { writeTimes.count }
    public var wideWrites: Int { wideTimes.count }
    public var distinctKeys: Int { keyTimes.count }
}
