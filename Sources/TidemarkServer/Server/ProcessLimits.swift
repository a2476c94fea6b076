#if canImport(Glibc)
import Glibc
#endif

/// Process-wide resource limits a server needs beyond a shell's defaults.
public enum ProcessLimits {
    /// Raises the soft open-file limit to the hard one (a shell's default soft limit of
    /// 1024 would refuse connections far below `--max-connections`) and returns the
    /// limit now in force.
    @discardableResult
    public static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
