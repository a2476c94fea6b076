/// The versions a reader stamps a cache entry with, read in one consistent snapshot.
public struct StampResult: Hashable, Sendable {
    public var epoch: Epoch
    public var lsn: LSN
    /// `ver(dep)` for each requested dependency, in request order.
    public var versions: [LSN]
    /// False while an open intent covers any requested dependency: a result read now
    /// may be overwritten by a COMMIT in flight, so it must not be cached.
    public var cacheable: Bool

    public init(epoch: Epoch, lsn: LSN, versions: [LSN], cacheable: Bool) {
        self.epoch = epoch
        self.lsn = lsn
        self.versions = versions
        self.cacheable = cacheable
    }
}
