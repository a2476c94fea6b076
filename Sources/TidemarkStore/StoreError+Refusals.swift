/// Refusals every store words the same way, whichever backend holds the state.
extension StoreError {
    /// A log or watch `from` below the oldest record kept: -32004 naming it.
    public static func compactedAway(below oldest: LSN) -> StoreError {
        StoreError(.compacted, "records below \(oldest) were compacted away", field: "from", oldest: oldest)
    }

    /// A sourced write whose `after` is not the recorded position: -32007 with it.
    public static func outOfOrder(_ source: SourcePosition, recorded: UInt64) -> StoreError {
        var error = StoreError(
            .sourceOutOfOrder,
            "source \(source.name) is at position \(recorded), not at \(source.after ?? 0) as this write expects; nothing was written")
        error.sourcePosition = recorded
        return error
    }

    /// `commit` or `abort` of an intent that is not open: -32003 with what is known of it.
    public static func notOpen(_ state: IntentState) -> StoreError {
        StoreError(
            .unknownIntent, state == .unknown ? "no such intent" : "the intent is already \(state.rawValue)",
            intentState: state)
    }
}
