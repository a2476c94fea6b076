import Synchronization
import TidemarkProtocol

/// The first request a scripted server holds back, shared with its reply closure.
final class Held: Sendable {
    private let request = Mutex<JSONValue?>(nil)

    /// Stores `new` if nothing is held yet and returns nil; otherwise returns what is held.
    func swap(_ new: JSONValue) -> JSONValue? {
        request.withLock { held in
            if let held { return held }
            held = new
            return nil
        }
    }
}
