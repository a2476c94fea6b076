#if canImport(Glibc)
import Glibc
#endif

/// The kernel's id of this boot: it changes on every restart of the machine, and so tells
/// a process crash (the page cache survived) from a power loss or a reboot (it did not).
public enum BootIdentity {
    public static func current() -> String {
        guard let file = fopen("/proc/sys/kernel/random/boot_id", "r") else { return "unknown" }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .filter { !$0.isWhitespace }
    }
}
