import TidemarkProtocol
import TidemarkStore

/// Synthetic change logs whose right advice is known in advance.
enum SyntheticLog {
    static let start: Milliseconds = 1_790_000_000_000

    /// Records at `start + offset` for each offset, each with `changes(index)`, LSNs from 1.
    static func records(
        every interval: Milliseconds, for duration: Milliseconds, offset: Milliseconds = 0,
        kind: RecordKind = .write, _ changes: (Int) -> [Change]
    ) -> [Record] {
        stride(from: offset, to: duration, by: Int(interval)).enumerated().map { index, time in
            Record(
                lsn: LSN(index + 1), time: start + time, kind: kind, changes: changes(index),
                peer: Peer(pid: 1, uid: 1, gid: 1))
        }
    }

    /// Several logs interleaved by time, renumbered in that order.
    static func merged(_ logs: [Record]...) -> [Record] {
        logs.joined().sorted { ($0.time, $0.lsn) < ($1.time, $1.lsn) }.enumerated().map { index, record in
            var record = record
            record.lsn = LSN(index + 1)
            return record
        }
    }

    static func window(_ duration: Milliseconds) -> ClosedRange<Milliseconds> {
        start...(start + duration)
    }

    /// 2 writes/s for 10 minutes, each naming one of 400 keys at random.
    static func singleKeys(table: String = "users", seed: UInt64 = 42) -> [Record] {
        var generator = SplitMix64(seed: seed)
        return records(every: 500, for: 600_000) { _ in
            [Change(table: table, keys: ["\(generator.next() % 400)"])]
        }
    }

    /// A wide write every 100 ms for 10 minutes.
    static func wideEvery100ms(table: String = "orders") -> [Record] {
        records(every: 100, for: 600_000) { _ in [Change(table: table)] }
    }
}
