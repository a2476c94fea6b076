/// The methods of protocol v1.
public enum RPCMethod: String, Hashable, Sendable, CaseIterable {
    case hello, ping, write, stamp, check, register, begin, commit, abort
    case log, watch, unwatch, stats, compact
    case source

    /// Methods that change state, and so need the writer and write permission.
    public var isMutation: Bool {
        switch self {
        case .write, .begin, .commit, .abort, .register, .compact: true
        default: false
        }
    }

    /// What a client must be permitted to call the method (`--writers`, `--readers`).
    public enum Privilege: Sendable {
        /// `hello` and `ping`: anyone who can connect.
        case open
        case read
        case write
    }

    public var privilege: Privilege {
        switch self {
        case .hello, .ping: .open
        case .stamp, .check, .log, .watch, .unwatch, .stats, .source: .read
        case .write, .begin, .commit, .abort, .register, .compact: .write
        }
    }
}

/// Notification methods the server sends.
public enum RPCNotificationMethod {
    public static let watchEvent = "watch.event"
    public static let watchLost = "watch.lost"
}
