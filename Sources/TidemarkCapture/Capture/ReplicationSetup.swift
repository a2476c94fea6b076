import Logging

/// Checks and prepares what logical decoding needs, on a replication connection before
/// START_REPLICATION: `wal_level`, the publication and the slot.
struct ReplicationSetup {
    struct System: Sendable {
        var systemID: String
        var database: String
    }

    let configuration: CaptureConfiguration
    let logger: Logger

    func prepare(_ connection: PostgresConnection) async throws(CaptureError) -> System {
        let identity = try await connection.query("IDENTIFY_SYSTEM")
        guard let systemID = identity.value("systemid"), let database = identity.value("dbname") else {
            throw CaptureError(.protocolViolation, "IDENTIFY_SYSTEM answered without systemid or dbname")
        }
        let level = try await connection.query("SHOW wal_level").rows.first?.first ?? nil
        guard level == "logical" else {
            throw CaptureError(
                .configuration,
                "PostgreSQL runs with wal_level = \(level ?? "unknown"); capturing needs wal_level = logical (ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)")
        }
        try await ensurePublication(connection)
        try await ensureSlot(connection, database: database)
        return System(systemID: systemID, database: database)
    }

    private func ensurePublication(_ connection: PostgresConnection) async throws(CaptureError) {
        let name = configuration.publication
        let found = try await connection.query("SELECT 1 FROM pg_publication WHERE pubname = \(SQLText.literal(name))")
        guard found.rows.isEmpty else { return }
        try await refuseTablesWithoutIdentity(connection)
        let target = configuration.tables.map { "TABLE " + $0.map(SQLText.qualifiedTable).joined(separator: ", ") } ?? "ALL TABLES"
        do {
            try await connection.query("CREATE PUBLICATION \(SQLText.identifier(name)) FOR \(target)")
        } catch where error.sqlState == "42501" {
            throw CaptureError(
                .configuration,
                "cannot create publication \(name): \(error.message). FOR ALL TABLES needs a superuser, FOR TABLE the tables' owner; or create it yourself (CREATE PUBLICATION \(name) FOR ...)",
                cause: error)
        }
        logger.notice("created publication", metadata: ["publication": "\(name)", "for": "\(target)"])
    }

    /// A table in a publication that publishes UPDATE and DELETE must have a replica
    /// identity, or PostgreSQL refuses those statements on it: creating one FOR ALL TABLES
    /// would break the application's writes to tables without a primary key.
    private func refuseTablesWithoutIdentity(_ connection: PostgresConnection) async throws(CaptureError) {
        var sql = """
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
            AND n.nspname NOT LIKE 'pg\\_%' AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS \
            (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
            """
        if let tables = configuration.tables {
            let names = tables.map { SQLText.literal($0) }.joined(separator: ", ")
            sql += " AND (c.relname IN (\(names)) OR n.nspname || '.' || c.relname IN (\(names)))"
        }
        let keyless = try await connection.query(sql).rows.compactMap { $0.first ?? nil }
        guard keyless.isEmpty else {
            throw CaptureError(
                .configuration,
                "not creating publication \(configuration.publication): PostgreSQL would then refuse UPDATE and DELETE on tables without a primary key or replica identity (\(keyless.sorted().joined(separator: ", "))). Give them one (ALTER TABLE ... REPLICA IDENTITY FULL; their changes are then recorded as wide), leave them out with --tables, or create the publication yourself")
        }
    }

    private func ensureSlot(_ connection: PostgresConnection, database: String) async throws(CaptureError) {
        let slot = configuration.slot
        let found = try await connection.query(
            "SELECT plugin, database, slot_type FROM pg_replication_slots WHERE slot_name = \(SQLText.literal(slot))")
        if found.rows.isEmpty {
            try await connection.query("CREATE_REPLICATION_SLOT \(SQLText.identifier(slot)) LOGICAL pgoutput NOEXPORT_SNAPSHOT")
            logger.notice("created replication slot", metadata: ["slot": "\(slot)"])
            return
        }
        guard found.value("slot_type") == "logical", found.value("plugin") == "pgoutput" else {
            throw CaptureError(
                .configuration,
                "replication slot \(slot) exists but is a \(found.value("slot_type") ?? "?") slot of plugin \(found.value("plugin") ?? "none"); tidemark capture needs a logical pgoutput slot (choose another --slot)")
        }
        guard found.value("database") == database else {
            throw CaptureError(
                .configuration,
                "replication slot \(slot) belongs to database \(found.value("database") ?? "?"), not \(database) (choose another --slot)")
        }
    }

    /// `--drop-slot`.
    func dropSlot(_ connection: PostgresConnection) async throws(CaptureError) {
        do {
            try await connection.query("DROP_REPLICATION_SLOT \(SQLText.identifier(configuration.slot))")
        } catch where error.sqlState == "42704" {
            throw CaptureError(.configuration, "there is no replication slot \(configuration.slot)", cause: error)
        } catch where error.sqlState == "55006" {
            throw CaptureError(.configuration, "replication slot \(configuration.slot) is in use (is a capture running?)", cause: error)
        }
    }
}
