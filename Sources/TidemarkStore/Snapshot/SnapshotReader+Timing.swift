extension SnapshotReader {
    /// How often, at least, a local reader checks that its data path still names the file
    /// it has open (and reopens when not). Between checks it reads with no system call.
    public static let identityInterval: Duration = .milliseconds(10)

    /// How long a server that allows local readers waits after opening its data file
    /// before it answers anyone: several `identityInterval`s, so that every reader left on
    /// a replaced directory has moved to the new file first (PROTOCOL.md, "Local reading").
    public static let startDelay: Duration = .milliseconds(50)
}
