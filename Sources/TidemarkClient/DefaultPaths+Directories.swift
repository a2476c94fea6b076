#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DefaultPaths {
    /// Creates the directory that will hold the socket at `socketPath`, and any missing
    /// parents, private to the user (0700): the default lives under `/tmp`, where another
    /// user could otherwise create the directory first and own the socket path.
    /// Existing directories are left as they are.
    public static func createParentDirectory(of socketPath: String) throws(TidemarkClientError) {
        let components = socketPath.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        var prefix = socketPath.hasPrefix("/") ? "" : "."
        for component in components {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw TidemarkClientError(
                    .invalidArgument, "cannot create the directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
