/// The binary forms of what the store keeps. Each starts with a format byte so that a
/// later version can change them without guessing.
enum StoredCoding {
    private static let version: UInt8 = 1

    // MARK: Records

    static func encode(_ record: Record) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(version)
        writer.write(kindByte(record.kind))
        writer.writeVarint(record.time)
        encode(record.peer, into: &writer)
        encodeOptional(record.intent.map { Array($0.utf8) }, into: &writer)
        encodeOptional(record.meta, into: &writer)
        encode(record.changes, into: &writer)
        return writer.bytes
    }

    static func decodeRecord(lsn: LSN, _ bytes: UnsafeRawBufferPointer) throws(StoreError) -> Record {
        var reader = ByteReader(bytes)
        try expectVersion(&reader)
        let kind = try decodeKind(try reader.readByte())
        let time = try reader.readVarint()
        let peer = try decodePeer(&reader)
        let intent = try decodeOptional(&reader).map { String(decoding: $0, as: UTF8.self) }
        let meta = try decodeOptional(&reader)
        let changes = try decodeChanges(&reader)
        return Record(lsn: lsn, time: time, kind: kind, changes: changes, intent: intent, meta: meta, peer: peer)
    }

    // MARK: Intents

    static func encode(_ intent: Intent) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(version)
        writer.write(stateByte(intent.state))
        writer.writeVarint(intent.beginLSN)
        writer.writeVarint(intent.expiresAt)
        writer.writeVarint(intent.closedAt)
        encode(intent.peer, into: &writer)
        encodeOptional(intent.meta, into: &writer)
        encode(intent.changes, into: &writer)
        return writer.bytes
    }

    static func decodeIntent(id: String, _ bytes: UnsafeRawBufferPointer) throws(StoreError) -> Intent {
        var reader = ByteReader(bytes)
        try expectVersion(&reader)
        let state = try decodeState(try reader.readByte())
        let beginLSN = try reader.readVarint()
        let expiresAt = try reader.readVarint()
        let closedAt = try reader.readVarint()
        let peer = try decodePeer(&reader)
        let meta = try decodeOptional(&reader)
        let changes = try decodeChanges(&reader)
        return Intent(
            id: id, state: state, changes: changes, meta: meta, peer: peer,
            beginLSN: beginLSN, expiresAt: expiresAt, closedAt: closedAt)
    }

    // MARK: Named entries

    static func encode(_ entry: NamedEntry) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(version)
        writer.writeVarint(entry.stamp.epoch.high)
        writer.writeVarint(entry.stamp.epoch.low)
        writer.writeVarint(entry.stamp.lsn)
        writer.writeVarint(entry.expiresAt)
        writer.writeVarint(UInt64(entry.deps.count))
        for dep in entry.deps {
            writer.writeString(dep.table)
            encodeOptional(dep.key.map { Array($0.utf8) }, into: &writer)
        }
        return writer.bytes
    }

    static func decodeNamedEntry(name: String, _ bytes: UnsafeRawBufferPointer) throws(StoreError) -> NamedEntry {
        var reader = ByteReader(bytes)
        try expectVersion(&reader)
        let epoch = Epoch(high: try reader.readVarint(), low: try reader.readVarint())
        let lsn = try reader.readVarint()
        let expiresAt = try reader.readVarint()
        let count = try reader.readCount()
        var deps: [Dep] = []
        deps.reserveCapacity(count)
        for _ in 0..<count {
            let table = try reader.readString()
            let key = try decodeOptional(&reader).map { String(decoding: $0, as: UTF8.self) }
            deps.append(Dep(table: table, key: key))
        }
        return NamedEntry(name: name, stamp: Stamp(epoch: epoch, lsn: lsn), deps: deps, expiresAt: expiresAt)
    }

    // MARK: Parts

    private static func encode(_ peer: Peer, into writer: inout ByteWriter) {
        writer.writeVarint(UInt64(UInt32(bitPattern: peer.pid)))
        writer.writeVarint(UInt64(peer.uid))
        writer.writeVarint(UInt64(peer.gid))
    }

    private static func decodePeer(_ reader: inout ByteReader) throws(StoreError) -> Peer {
        let pid = try reader.readVarint()
        let uid = try reader.readVarint()
        let gid = try reader.readVarint()
        guard pid <= UInt32.max, uid <= UInt32.max, gid <= UInt32.max else {
            throw StoreError(.corrupted, "peer credentials out of range")
        }
        return Peer(pid: Int32(bitPattern: UInt32(pid)), uid: UInt32(uid), gid: UInt32(gid))
    }

    private static func encode(_ changes: [Change], into writer: inout ByteWriter) {
        writer.writeVarint(UInt64(changes.count))
        for change in changes {
            writer.writeString(change.table)
            // Zero keys means wide: a keyed change never has an empty list.
            let keys = change.keys ?? []
            writer.writeVarint(UInt64(keys.count))
            for key in keys { writer.writeString(key) }
        }
    }

    private static func decodeChanges(_ reader: inout ByteReader) throws(StoreError) -> [Change] {
        let count = try reader.readCount()
        var changes: [Change] = []
        changes.reserveCapacity(count)
        for _ in 0..<count {
            let table = try reader.readString()
            let keyCount = try reader.readCount()
            var keys: [String] = []
            keys.reserveCapacity(keyCount)
            for _ in 0..<keyCount { keys.append(try reader.readString()) }
            changes.append(Change(table: table, keys: keys))
        }
        return changes
    }

    private static func encodeOptional(_ bytes: [UInt8]?, into writer: inout ByteWriter) {
        guard let bytes else { return writer.write(0) }
        writer.write(1)
        writer.writeBytes(bytes)
    }

    private static func decodeOptional(_ reader: inout ByteReader) throws(StoreError) -> [UInt8]? {
        switch try reader.readByte() {
        case 0: return nil
        case 1: return try reader.readBytes()
        case let flag: throw StoreError(.corrupted, "invalid presence flag \(flag)")
        }
    }

    private static func expectVersion(_ reader: inout ByteReader) throws(StoreError) {
        let found = try reader.readByte()
        guard found == version else { throw StoreError(.corrupted, "unknown stored format \(found)") }
    }

    private static let kinds = RecordKind.allCases
    private static let states = IntentState.allCases

    private static func kindByte(_ kind: RecordKind) -> UInt8 {
        UInt8(kinds.firstIndex(of: kind)!)
    }

    private static func decodeKind(_ byte: UInt8) throws(StoreError) -> RecordKind {
        guard Int(byte) < kinds.count else { throw StoreError(.corrupted, "unknown record kind \(byte)") }
        return kinds[Int(byte)]
    }

    private static func stateByte(_ state: IntentState) -> UInt8 {
        UInt8(states.firstIndex(of: state)!)
    }

    private static func decodeState(_ byte: UInt8) throws(StoreError) -> IntentState {
        guard Int(byte) < states.count else { throw StoreError(.corrupted, "unknown intent state \(byte)") }
        return states[Int(byte)]
    }
}
