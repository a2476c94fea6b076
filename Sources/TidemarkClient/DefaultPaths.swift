#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the server listens and keeps its data when no flag says otherwise, so that
/// `tidemark serve` and every client agree with no configuration at all.
///
/// Empty variables count as unset, as the XDG base directory spec asks.
public enum DefaultPaths {
    /// `$TIDEMARK_SOCKET`, else `$XDG_RUNTIME_DIR/tidemark/tidemark.sock`, else
    /// `/tmp/tidemark-<uid>/tidemark.sock`.
    public static func socketPath(
        environment: [String: String] = ProcessInfo.processInfo.environment, uid: UInt32 = getuid()
    ) -> String {
        if let path = environment.value("TIDEMARK_SOCKET") { return path }
        if let runtime = environment.value("XDG_RUNTIME_DIR") { return runtime.joiningPath("tidemark/tidemark.sock") }
        return "/tmp/tidemark-\(uid)/tidemark.sock"
    }

    /// `$TIDEMARK_DATA`, else `$XDG_STATE_HOME/tidemark`, else `$HOME/.local/state/tidemark`
    /// (the home directory from the user database when `$HOME` is unset).
    public static func dataPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment.value("TIDEMARK_DATA") { return path }
        if let state = environment.value("XDG_STATE_HOME") { return state.joiningPath("tidemark") }
        let home = environment.value("HOME") ?? userHomeDirectory() ?? "/tmp/tidemark-\(getuid())"
        return home.joiningPath(".local/state/tidemark")
    }

    private static func userHomeDirectory() -> String? {
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
        let home = String(cString: directory)
        return home.isEmpty ? nil : home
    }
}

extension [String: String] {
    fileprivate func value(_ name: String) -> String? {
        guard let value = self[name], !value.isEmpty else { return nil }
        return value
    }
}

extension String {
    fileprivate func joiningPath(_ component: String) -> String {
        hasSuffix("/") ? self + component : self + "/" + component
    }
}
