/// The identity of one data directory's history: a random 128-bit id, created with the
/// directory. A stamp from another epoch is never valid, which is what protects clients
/// when a data directory is wiped or replaced.
public struct Epoch: Hashable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func random() -> Epoch {
        var generator = SystemRandomNumberGenerator()
        return Epoch(high: generator.next(), low: generator.next())
    }

    /// 32 lowercase hex digits, the form used on the wire.
    public var hex: String {
        Self.hexDigits(high) + Self.hexDigits(low)
    }

    public var description: String { hex }

    /// Parses the wire form; accepts upper or lower case, exactly 32 digits.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32,
              let high = Self.parseHex(utf8[0..<16]),
              let low = Self.parseHex(utf8[16..<32])
        else { return nil }
        self.init(high: high, low: low)
    }

    private static func hexDigits(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static func parseHex(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for byte in bytes {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }
}
