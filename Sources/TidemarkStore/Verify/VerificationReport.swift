/// One disagreement between the stored state and what replaying the retained log says it
/// should be.
public struct Discrepancy: Hashable, Sendable, CustomStringConvertible {
    /// What part of the store disagrees; the raw value is the JSON and text name.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// meta: lsn, oldest, epoch, format, source positions.
        case meta
        /// The log's keys: a gap, a key outside `oldest...lsn`, a malformed key.
        case log
        /// A log record that cannot be decoded.
        case record
        /// ver(table) in `tables`.
        case tableVersion = "table_version"
        /// The last wide change of a table, in `tables`.
        case wideVersion = "wide_version"
        /// A key's version in `keys`.
        case keyVersion = "key_version"
        /// A stored intent (its state, begin LSN, or decoding).
        case intent
        /// `pending_tables` counts.
        case pendingTable = "pending_table"
        /// `pending_keys` counts.
        case pendingKey = "pending_key"
        /// `intent_expiry` entries.
        case intentExpiry = "intent_expiry"
        /// A stored named entry (decoding, epoch, validity).
        case name
        /// `name_deps`, the reverse index dep -> names.
        case nameDeps = "name_deps"
        /// `name_expiry` entries.
        case nameExpiry = "name_expiry"
        /// The write-ahead journal: its segments, frames, and agreement with the data file.
        case journal
    }

    public var kind: Kind
    /// What disagrees, e.g. `users:42`, `intent 9f…`, `lsn`.
    public var subject: String
    /// What the replay (or the rule) says.
    public var expected: String
    /// What is stored.
    public var found: String

    public init(kind: Kind, subject: String, expected: String, found: String) {
        self.kind = kind
        self.subject = subject
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "\(kind.rawValue) \(subject): expected \(expected), found \(found)"
    }
}

/// The result of `LMDBStore.verify()`: what was checked and every disagreement found.
public struct VerificationReport: Hashable, Sendable {
    public var epoch: Epoch
    /// The stored current LSN (0 when it cannot be read).
    public var lsn: LSN
    /// The stored oldest retained LSN (0 when it cannot be read).
    public var oldest: LSN
    /// Retained log records read.
    public var records = 0
    public var tables = 0
    public var keys = 0
    public var intents = 0
    public var names = 0
    public var discrepancies: [Discrepancy] = []
    /// The write-ahead journal, in a store that has one.
    public var journal: JournalSummary?

    /// What `verify` read of the journal.
    public struct JournalSummary: Hashable, Sendable {
        public var segments: Int
        /// The oldest transaction kept and the one after the newest.
        public var first: UInt64
        public var next: UInt64
        /// The last transaction the data file holds.
        public var held: UInt64
        /// Journaled transactions the data file does not hold yet (after an unclean stop:
        /// the server replays them at its next start).
        public var pending: UInt64 { next > held + 1 ? next - held - 1 : 0 }
        /// Bytes of a write a crash cut, never acknowledged (zeroed at the next start).
        public var tornTail: Int
    }

    public init(epoch: Epoch, lsn: LSN = 0, oldest: LSN = 0) {
        self.epoch = epoch
        self.lsn = lsn
        self.oldest = oldest
    }

    public var isClean: Bool { discrepancies.isEmpty }

    /// One line for people.
    public var summary: String {
        var checked = "\(records) records (\(oldest)...\(lsn)), \(tables) tables, \(keys) keys, "
            + "\(intents) intents, \(names) names"
        if let journal {
            checked += ", journal \(journal.first)...\(journal.next - 1) in \(journal.segments) segments"
                + " (\(journal.pending) not yet in the data file)"
        }
        if isClean { return "ok: epoch \(epoch.hex), \(checked): no discrepancies" }
        let count = discrepancies.count
        return "FAILED: epoch \(epoch.hex), \(checked): \(count) discrepanc\(count == 1 ? "y" : "ies")"
    }

    /// The machine-readable form, one JSON object:
    /// `{ok, epoch, lsn, oldest, records, tables, keys, intents, names, discrepancies: [{kind, subject, expected, found}]}`.
    public var jsonText: String {
        var text = "{\"ok\":\(isClean),\"epoch\":\(Self.quoted(epoch.hex)),\"lsn\":\(lsn),\"oldest\":\(oldest)"
        text += ",\"records\":\(records),\"tables\":\(tables),\"keys\":\(keys),\"intents\":\(intents),\"names\":\(names)"
        if let journal {
            text += ",\"journal\":{\"segments\":\(journal.segments),\"first\":\(journal.first),\"next\":\(journal.next)"
                + ",\"held\":\(journal.held),\"pending\":\(journal.pending),\"torn_tail\":\(journal.tornTail)}"
        }
        text += ",\"discrepancies\":["
        text += discrepancies.map { discrepancy in
            "{\"kind\":\(Self.quoted(discrepancy.kind.rawValue)),\"subject\":\(Self.quoted(discrepancy.subject))"
                + ",\"expected\":\(Self.quoted(discrepancy.expected)),\"found\":\(Self.quoted(discrepancy.found))}"
        }.joined(separator: ",")
        return text + "]}"
    }

    private static func quoted(_ string: String) -> String {
        var text = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}
