/// The version a reader saw before querying the database.
public struct Stamp: Hashable, Sendable {
    public var epoch: Epoch
    public var lsn: LSN

    public init(epoch: Epoch, lsn: LSN) {
        self.epoch = epoch
        self.lsn = lsn
    }
}
