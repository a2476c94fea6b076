import TidemarkProtocol
import TidemarkStore

/// Everything `tidemark advise` says about one table.
public struct TableAdvice: Hashable, Sendable {
    public var table: String
    public var writes: Int
    public var wideWrites: Int
    /// Writes per second over the whole window.
    public var writeRate: Double
    /// `wideWrites / writes`; 0 for a table not written.
    public var wideShare: Double
    /// Keys named, summed over the writes.
    public var keysTouched: Int
    public var distinctKeys: Int
    /// Keys named by more than one write in the window: the ones `medianKeyGap` is over.
    public var keysWrittenAgain: Int
    /// Median time between consecutive writes to the table.
    public var medianTableGap: Milliseconds?
    /// Median time between consecutive writes naming the same key, over all keys written
    /// at least twice (wide writes not counted). Keys written once do not contribute, so
    /// this leans short when most keys are written rarely.
    public var medianKeyGap: Milliseconds?
    public var hotKeys: [HotKey]
    public var tableValidity: DepValidity
    public var keyValidity: DepValidity
    public var recommendation: Recommendation
    /// The server's per-table counters from `stats {tables}`, when it has them.
    public var counters: JSONObject?

    public init(
        table: String, writes: Int, wideWrites: Int, writeRate: Double, wideShare: Double, keysTouched: Int,
        distinctKeys: Int, keysWrittenAgain: Int, medianTableGap: Milliseconds?, medianKeyGap: Milliseconds?,
        hotKeys: [HotKey], tableValidity: DepValidity, keyValidity: DepValidity, recommendation: Recommendation,
        counters: JSONObject? = nil
    ) {
        self.table = table
        self.writes = writes
        self.wideWrites = wideWrites
        self.writeRate = writeRate
        self.wideShare = wideShare
        self.keysTouched = keysTouched
        self.distinctKeys = distinctKeys
        self.keysWrittenAgain = keysWrittenAgain
        self.medianTableGap = medianTableGap
        self.medianKeyGap = medianKeyGap
        self.hotKeys = hotKeys
        self.tableValidity = tableValidity
        self.keyValidity = keyValidity
        self.recommendation = recommendation
        self.counters = counters
    }
}
