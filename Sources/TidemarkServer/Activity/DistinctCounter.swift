/// A HyperLogLog estimate of how many distinct keys a table has seen: at most 2 KiB per
/// table whatever the number of keys (standard error 1.04/√2048, about 2.3%), far less
/// for tables with few keys (registers are kept sparse until that stops paying), and
/// mergeable, so it can be persisted and rebuilt from the log.
struct DistinctCounter: Sendable {
    static let registerBits = 11
    static let registerCount = 1 << registerBits
    /// Past this many set registers the dense array is smaller than the sparse map.
    private static let sparseLimit = registerCount / 4

    private enum Storage: Sendable, Hashable {
        case sparse([UInt16: UInt8])
        case dense([UInt8])
    }

    private var storage = Storage.sparse([:])

    init() {}

    /// The registers that are set, by index: small for tables with few keys, so that is
    /// what gets persisted.
    var setRegisters: [(index: Int, value: UInt8)] {
        switch storage {
        case .sparse(let set): set.map { (Int($0.key), $0.value) }.sorted { $0.index < $1.index }
        case .dense(let registers): registers.enumerated().filter { $0.element > 0 }.map { ($0.offset, $0.element) }
        }
    }

    init?(setRegisters: [(index: Int, value: UInt8)]) {
        for (index, value) in setRegisters {
            guard (0..<Self.registerCount).contains(index), value <= 64 else { return nil }
            raise(index, to: value)
        }
    }

    var registers: [UInt8] {
        switch storage {
        case .dense(let registers):
            return registers
        case .sparse(let set):
            var registers = [UInt8](repeating: 0, count: Self.registerCount)
            for (index, value) in set { registers[Int(index)] = value }
            return registers
        }
    }

    mutating func insert(_ key: String) {
        let hash = Self.hash(key)
        let index = Int(hash >> UInt64(64 - Self.registerBits))
        let rest = hash << UInt64(Self.registerBits)
        raise(index, to: UInt8(min(rest.leadingZeroBitCount, 64 - Self.registerBits) + 1))
    }

    mutating func merge(_ other: DistinctCounter) {
        switch other.storage {
        case .sparse(let set):
            for (index, value) in set { raise(Int(index), to: value) }
        case .dense(let registers):
            for (index, value) in registers.enumerated() where value > 0 { raise(index, to: value) }
        }
    }

    private mutating func raise(_ index: Int, to value: UInt8) {
        switch storage {
        case .dense(var registers):
            guard value > registers[index] else { return }
            storage = .sparse([:])  // drop the reference so the array is mutated in place
            registers[index] = value
            storage = .dense(registers)
        case .sparse(var set):
            guard value > set[UInt16(index), default: 0] else { return }
            storage = .dense([])
            set[UInt16(index)] = value
            storage = set.count > Self.sparseLimit ? .dense(Self.densify(set)) : .sparse(set)
        }
    }

    private static func densify(_ set: [UInt16: UInt8]) -> [UInt8] {
        var registers = [UInt8](repeating: 0, count: registerCount)
        for (index, value) in set { registers[Int(index)] = value }
        return registers
    }

    var estimate: UInt64 {
        let m = Double(Self.registerCount)
        var sum = 0.0
        var zeros = 0
        for register in registers {
            sum += 1 / Double(UInt64(1) << UInt64(register))
            if register == 0 { zeros += 1 }
        }
        let raw = 0.7213 / (1 + 1.079 / m) * m * m / sum
        // Linear counting is far more accurate while many registers are still empty.
        if raw <= 2.5 * m, zeros > 0 {
            return UInt64((m * log(m / Double(zeros))).rounded())
        }
        return UInt64(raw.rounded())
    }

    /// FNV-1a, then a SplitMix64 finalizer so the high bits (the register index) are
    /// well mixed even for short, similar keys.
    private static func hash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 30
        hash &*= 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 27
        hash &*= 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return hash
    }
}

extension DistinctCounter: Hashable {
    /// Equal when the registers are, however they are stored.
    static func == (left: DistinctCounter, right: DistinctCounter) -> Bool {
        left.registers == right.registers
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(registers)
    }
}

#if canImport(Glibc)
import Glibc
#endif
