/// The methods of protocol v1.
public enum RPCMethod: String, Hashable, Sendable, CaseIterable {
    case hello, ping, write, stamp, check, register, begin, commit, abort
    case log, watch, unwatch, stats, compact

    /// Methods that change state, and so need the writer and write permission.
    public var isMutation: Bool {
        switch self {
        case .write, .begin, .commit, .abort, .register, .compact: true
        default: false
        }
    }
}

/// Notification methods the server sends.
public enum RPCNotificationMethod {
    public static let watchEvent = "watch.event"
    public static let watchLost = "watch.lost"
}
