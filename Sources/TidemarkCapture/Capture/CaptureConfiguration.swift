/// What `tidemark capture postgres` was asked to do.
public struct CaptureConfiguration: Sendable {
    public var dsn: PostgresDSN
    /// The logical replication slot; created if missing.
    public var slot = "tidemark"
    /// The publication pgoutput reads; created if missing.
    public var publication = "tidemark"
    /// Only these tables (names or `schema.name`); nil for all. Also what a publication
    /// created by the capture contains.
    public var tables: [String]?
    /// Prefix `NAMESPACE.` to every table, as tidemark_django's NAMESPACES does.
    public var namespace: String?
    public var maxKeysPerTable = 1000
    /// The table whose wide change stands for "anything may have changed".
    public var globalTable = "tidemark_django.all"
    /// Overrides `postgres:<system identifier>:<slot>`.
    public var sourceName: String?
    public var socketPath: String
    /// Most writes sent to Tidemark and not yet answered.
    public var window = 512
    /// How often the slot's confirmed position is reported when it moved.
    public var feedbackInterval: Duration = .milliseconds(200)

    public init(dsn: PostgresDSN, socketPath: String) {
        self.dsn = dsn
        self.socketPath = socketPath
    }

    /// Slot names are what PostgreSQL allows: lower-case letters, digits and underscores.
    public static func validSlotName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
