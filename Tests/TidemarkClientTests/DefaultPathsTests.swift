import Testing
import TidemarkClient

@Suite("DefaultPaths")
struct DefaultPathsTests {
    @Test func socketPathPrecedence() {
        let all = ["TIDEMARK_SOCKET": "/run/x.sock", "XDG_RUNTIME_DIR": "/run/user/1000"]
        #expect(DefaultPaths.socketPath(environment: all, uid: 1000) == "/run/x.sock")
        #expect(DefaultPaths.socketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000"], uid: 1000)
            == "/run/user/1000/tidemark/tidemark.sock")
        #expect(DefaultPaths.socketPath(environment: ["XDG_RUNTIME_DIR": "/run/user/1000/"], uid: 1000)
            == "/run/user/1000/tidemark/tidemark.sock")
        #expect(DefaultPaths.socketPath(environment: [:], uid: 1000) == "/tmp/tidemark-1000/tidemark.sock")
        // Empty variables count as unset.
        #expect(DefaultPaths.socketPath(environment: ["TIDEMARK_SOCKET": "", "XDG_RUNTIME_DIR": ""], uid: 7)
            == "/tmp/tidemark-7/tidemark.sock")
    }

    @Test func dataPathPrecedence() {
        let all = ["TIDEMARK_DATA": "/srv/tm", "XDG_STATE_HOME": "/home/a/.state", "HOME": "/home/a"]
        #expect(DefaultPaths.dataPath(environment: all) == "/srv/tm")
        #expect(DefaultPaths.dataPath(environment: ["XDG_STATE_HOME": "/home/a/.state", "HOME": "/home/a"])
            == "/home/a/.state/tidemark")
        #expect(DefaultPaths.dataPath(environment: ["HOME": "/home/a"]) == "/home/a/.local/state/tidemark")
        #expect(DefaultPaths.dataPath(environment: ["TIDEMARK_DATA": "", "XDG_STATE_HOME": "", "HOME": "/h"])
            == "/h/.local/state/tidemark")
    }

    @Test func createParentDirectoryMakesPrivateDirectories() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.appending("a/b/tidemark.sock")
        try DefaultPaths.createParentDirectory(of: socket)
        try DefaultPaths.createParentDirectory(of: socket)
        #expect(try permissions(directory.appending("a")) == 0o700)
        #expect(try permissions(directory.appending("a/b")) == 0o700)
    }
}
