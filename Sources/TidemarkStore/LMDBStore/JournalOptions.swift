import TidemarkJournal

/// How a durable store journals its commits (PROTOCOL.md §12, protocol/JOURNAL.md).
public struct JournalOptions: Sendable {
    /// Each segment's size, preallocated and zero-filled when it is created.
    public var segmentBytes = 16 << 20
    /// A checkpoint is taken once the journal holds this many bytes of frames...
    public var checkpointBytes = 64 << 20
    /// ...or this long after the last one, if anything was written since.
    public var checkpointInterval: Milliseconds = 300_000
    /// The segments' files. Tests pass a recorder, to build the disk images a power loss
    /// could leave; nil keeps them in `journal/` in the data directory.
    public var storage: (@Sendable (_ directory: String) throws(JournalError) -> any JournalStorage)?
    /// Which boot of the machine this is. After an unclean stop in an earlier boot, the
    /// page cache that held the data file's unflushed pages is gone, so the data file is
    /// rebuilt from the checkpoint and the journal. Tests pass another value to act out a
    /// power loss.
    public var bootIdentity: @Sendable () -> String = { BootIdentity.current() }

    public init() {}
}
