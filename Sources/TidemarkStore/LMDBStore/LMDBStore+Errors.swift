import LMDB
import TidemarkJournal

extension LMDBStore {
    /// Runs `body`, turning whatever it throws into a `StoreError`: the one place where
    /// LMDB's errors become the store's.
    func guarded<Result>(_ context: @autoclosure () -> String, _ body: () throws -> Result) throws(StoreError) -> Result {
        try Self.guarded(context(), body)
    }

    static func guarded<Result>(_ context: @autoclosure () -> String, _ body: () throws -> Result) throws(StoreError) -> Result {
        do {
            return try body()
        } catch {
            throw storeError(error, context())
        }
    }

    static func storeError(_ error: any Error, _ context: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? JournalError {
            switch error.code {
            case .full:
                return StoreError(.storageFull, "the disk has no room for the journal; nothing was written", cause: error)
            case .corrupted:
                return StoreError(.corrupted, "\(context): \(error.message)", cause: error)
            case .io, .invalidArgument:
                return StoreError(.io, "\(context): \(error.message)", cause: error)
            }
        }
        guard let error = error as? LMDBError else {
            return StoreError(.io, context, cause: error)
        }
        switch error.code {
        case .mapFull:
            return StoreError(.storageFull, "the data file reached its size limit; nothing was written", cause: error)
        case .corrupted, .invalidFile, .versionMismatch, .incompatible, .panic:
            return StoreError(.corrupted, "\(context): the data file is damaged or not a tidemark store", cause: error)
        default:
            return StoreError(.io, context, cause: error)
        }
    }
}
