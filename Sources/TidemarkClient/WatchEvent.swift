import TidemarkProtocol
import TidemarkStore

/// One `watch.event` notification: a record of a watched log, with the names it invalidated.
public struct WatchEvent: Hashable, Sendable {
    public var watch: UInt64
    public var record: Record
    public var invalidated: [String]

    public init(watch: UInt64, record: Record, invalidated: [String] = []) {
        self.watch = watch
        self.record = record
        self.invalidated = invalidated
    }

    /// The event a notification carries; nil for other notifications (`watch.lost`, or
    /// methods newer than this client), which callers may skip.
    public init?(_ notification: RPCNotification) throws(TidemarkClientError) {
        guard notification.method == RPCNotificationMethod.watchEvent else { return nil }
        let params = notification.params
        guard let watch = params["watch"]?.uint64Value, let recordJSON = params["record"] else {
            throw TidemarkClientError(.invalidResponse, "malformed watch.event: \(params)")
        }
        let record: Record
        do {
            record = try Record(json: recordJSON)
        } catch {
            throw TidemarkClientError.invalidResponse(error)
        }
        self.init(
            watch: watch, record: record,
            invalidated: params["invalidated"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}
