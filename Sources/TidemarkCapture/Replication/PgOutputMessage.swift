import NIOCore

/// The messages of the `pgoutput` plugin, protocol version 1: what PostgreSQL's own
/// logical replication sends its subscribers.
enum PgOutputMessage {
    struct Column: Hashable, Sendable {
        var name: String
        /// Part of the replica identity (the primary key, under `REPLICA IDENTITY DEFAULT`).
        var isKey: Bool
    }

    struct Relation: Hashable, Sendable {
        var id: UInt32
        /// Empty for `pg_catalog`.
        var namespace: String
        var name: String
        /// `d` default (the primary key), `n` nothing, `f` full, `i` an index.
        var replicaIdentity: UInt8
        var columns: [Column]
    }

    enum Value: Hashable, Sendable {
        case null
        /// A TOASTed value the UPDATE left unchanged, which the server does not resend.
        case unchangedToast
        case text([UInt8])
    }

    case begin(commitLSN: UInt64, commitTime: Int64, xid: UInt32)
    case commit(commitLSN: UInt64, endLSN: UInt64, commitTime: Int64)
    case relation(Relation)
    case insert(relation: UInt32, new: [Value])
    /// `old` is the old key (`K`) or whole old row (`O`) when the server sends one: when
    /// the key changed, or under `REPLICA IDENTITY FULL`.
    case update(relation: UInt32, old: [Value]?, new: [Value])
    case delete(relation: UInt32, old: [Value])
    case truncate(relations: [UInt32])
    /// Origin, Type and logical Message: nothing a cache depends on.
    case ignored(kind: UInt8)

    init(_ buffer: ByteBuffer) throws(CaptureError) {
        var buffer = buffer
        guard let kind: UInt8 = buffer.readInteger() else { throw CaptureError.truncated("pgoutput") }
        switch kind {
        case UInt8(ascii: "B"):
            self = .begin(
                commitLSN: try buffer.postgresInteger(UInt64.self), commitTime: try buffer.postgresInteger(Int64.self),
                xid: try buffer.postgresInteger(UInt32.self))
        case UInt8(ascii: "C"):
            _ = try buffer.postgresInteger(UInt8.self)  // flags
            self = .commit(
                commitLSN: try buffer.postgresInteger(UInt64.self), endLSN: try buffer.postgresInteger(UInt64.self),
                commitTime: try buffer.postgresInteger(Int64.self))
        case UInt8(ascii: "R"):
            let id = try buffer.postgresInteger(UInt32.self)
            let namespace = try buffer.postgresString()
            let name = try buffer.postgresString()
            let identity = try buffer.postgresInteger(UInt8.self)
            let count = try buffer.postgresInteger(Int16.self)
            var columns: [Column] = []
            for _ in 0..<max(count, 0) {
                let flags = try buffer.postgresInteger(UInt8.self)
                let column = try buffer.postgresString()
                _ = try buffer.postgresInteger(UInt32.self)  // type
                _ = try buffer.postgresInteger(Int32.self)  // modifier
                columns.append(Column(name: column, isKey: flags & 1 != 0))
            }
            self = .relation(Relation(id: id, namespace: namespace, name: name, replicaIdentity: identity, columns: columns))
        case UInt8(ascii: "I"):
            let relation = try buffer.postgresInteger(UInt32.self)
            guard try buffer.postgresInteger(UInt8.self) == UInt8(ascii: "N") else { throw Self.malformed("Insert") }
            self = .insert(relation: relation, new: try Self.tuple(&buffer))
        case UInt8(ascii: "U"):
            let relation = try buffer.postgresInteger(UInt32.self)
            var marker = try buffer.postgresInteger(UInt8.self)
            var old: [Value]?
            if marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") {
                old = try Self.tuple(&buffer)
                marker = try buffer.postgresInteger(UInt8.self)
            }
            guard marker == UInt8(ascii: "N") else { throw Self.malformed("Update") }
            self = .update(relation: relation, old: old, new: try Self.tuple(&buffer))
        case UInt8(ascii: "D"):
            let relation = try buffer.postgresInteger(UInt32.self)
            let marker = try buffer.postgresInteger(UInt8.self)
            guard marker == UInt8(ascii: "K") || marker == UInt8(ascii: "O") else { throw Self.malformed("Delete") }
            self = .delete(relation: relation, old: try Self.tuple(&buffer))
        case UInt8(ascii: "T"):
            let count = try buffer.postgresInteger(Int32.self)
            _ = try buffer.postgresInteger(UInt8.self)  // CASCADE / RESTART IDENTITY
            var relations: [UInt32] = []
            for _ in 0..<max(count, 0) { relations.append(try buffer.postgresInteger(UInt32.self)) }
            self = .truncate(relations: relations)
        default:
            self = .ignored(kind: kind)
        }
    }

    private static func tuple(_ buffer: inout ByteBuffer) throws(CaptureError) -> [Value] {
        let count = try buffer.postgresInteger(Int16.self)
        var values: [Value] = []
        values.reserveCapacity(Int(max(count, 0)))
        for _ in 0..<max(count, 0) {
            switch try buffer.postgresInteger(UInt8.self) {
            case UInt8(ascii: "n"): values.append(.null)
            case UInt8(ascii: "u"): values.append(.unchangedToast)
            case UInt8(ascii: "t"), UInt8(ascii: "b"):
                let length = try buffer.postgresInteger(Int32.self)
                guard length >= 0, let bytes = buffer.readBytes(length: Int(length)) else { throw CaptureError.truncated("tuple in a pgoutput") }
                values.append(.text(bytes))
            default:
                throw malformed("tuple")
            }
        }
        return values
    }

    private static func malformed(_ what: String) -> CaptureError {
        CaptureError(.protocolViolation, "a pgoutput \(what) message is malformed")
    }
}
