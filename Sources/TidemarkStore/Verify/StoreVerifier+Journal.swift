import LMDB
import TidemarkJournal

#if canImport(Glibc)
import Glibc
#endif

extension StoreVerifier {
    /// The journal's segments and checksums, its sequence numbers, and that it reaches the
    /// data file: every transaction after the one the data file holds must still be
    /// journaled, and a checkpoint must exist to rebuild from after a power loss.
    mutating func checkJournal<Transaction: TransactionReading & ~Copyable>(in transaction: borrowing Transaction) throws {
        let directory = StoreJournal.directory(in: store.path)
        guard access(directory, F_OK) == 0 else { return }
        let held = try schema.journalSequence(in: transaction)
        let inspection: JournalInspection
        do {
            inspection = try JournalInspection.inspect(try PosixJournalStorage(directory: directory))
        } catch {
            add(.journal, "segments", expected: "readable", found: Self.problem(error))
            return
        }
        for problem in inspection.problems { add(.journal, "segments", expected: "continuous frames", found: problem) }
        report.journal = VerificationReport.JournalSummary(
            segments: inspection.segments.count, first: inspection.first, next: inspection.next, held: held,
            tornTail: inspection.tornTail)
        guard !inspection.segments.isEmpty else {
            add(.journal, "segments", expected: "at least one", found: "none")
            return
        }
        if inspection.first > held + 1 {
            add(.journal, "first", expected: "at most \(held + 1), the first transaction the data file lacks",
                found: "\(inspection.first)")
        }
        if inspection.next < held + 1 {
            add(.journal, "next", expected: "above \(held), the last transaction the data file holds",
                found: "\(inspection.next)")
        }
        if access(store.path + "/" + StoreJournal.checkpointName, F_OK) != 0 {
            add(.journal, StoreJournal.checkpointName, expected: "present", found: "missing")
        }
    }
}
