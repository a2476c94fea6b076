import TidemarkStore

extension Record {
    /// `{lsn, time, kind, changes, intent?, meta?, peer: {pid, uid, gid}}`.
    public var json: JSONValue {
        var object: JSONObject = [
            "lsn": JSONValue(lsn),
            "time": JSONValue(time),
            "kind": .string(kind.rawValue),
            "changes": .array(changes.map(\.json)),
        ]
        if let intent { object["intent"] = .string(intent) }
        // The store keeps meta as the JSON text the server wrote; it always parses.
        if let meta, let value = try? JSONParser.parse(meta) { object["meta"] = value }
        object["peer"] = .object([
            "pid": .integer(Int64(peer.pid)), "uid": .integer(Int64(peer.uid)), "gid": .integer(Int64(peer.gid)),
        ])
        return .object(object)
    }

    public init(json: JSONValue) throws(RPCError) {
        guard let object = json.objectValue,
              let lsn = object["lsn"]?.uint64Value,
              let time = object["time"]?.uint64Value,
              let kind = object["kind"]?.stringValue.flatMap(RecordKind.init(rawValue:)),
              let changeValues = object["changes"]?.arrayValue,
              let peer = object["peer"]?.objectValue,
              let pid = peer["pid"]?.int64Value, let uid = peer["uid"]?.int64Value, let gid = peer["gid"]?.int64Value
        else { throw RPCError.invalidResponse("malformed record") }
        var changes: [Change] = []
        for value in changeValues { changes.append(try Change(json: value)) }
        self.init(
            lsn: lsn, time: time, kind: kind, changes: changes, intent: object["intent"]?.stringValue,
            meta: object["meta"].map { JSONWriter.bytes($0) },
            peer: Peer(pid: Int32(truncatingIfNeeded: pid), uid: UInt32(truncatingIfNeeded: uid), gid: UInt32(truncatingIfNeeded: gid)))
    }
}
