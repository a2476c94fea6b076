/// What a log record is: a plain write, or one step of an intent's life.
public enum RecordKind: String, Hashable, Sendable, CaseIterable {
    case write
    case begin
    case commit
    case abort
    case expire

    /// Whether a record of this kind advances the versions of its changes.
    public var advancesVersions: Bool {
        switch self {
        case .write, .commit, .expire: true
        case .begin, .abort: false
        }
    }
}
