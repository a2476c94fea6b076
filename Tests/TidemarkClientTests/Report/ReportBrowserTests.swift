import Foundation
import Testing
import TidemarkClient
import TidemarkTestSupport

/// Opens the report in a real headless Chromium (Debian's `chromium` package): the page
/// must paint something and its DOM must hold every chart. Fails, never skips, when
/// Chromium is missing.
@Suite("HTML report in headless Chromium", .timeLimit(.minutes(3)))
struct ReportBrowserTests {
    static let windowSize = (width: 1200, height: 2400)

    @Test func theReportRendersWithEveryChartTitle() async throws {
        let chromium = try #require(
            Chromium.find(),
            "Chromium is not installed: this test opens the report in it. Install Debian's package: apt-get install -y chromium")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let report = directory.appending("report.html")
        let blank = directory.appending("blank.html")
        try ReportFile.save(HTMLReport.render(ReportFixture.input()), to: report)
        try ReportFile.save("<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>\n", to: blank)

        let dom = try await chromium.run(["--dump-dom", "file://\(report)"], in: directory)
        for title in HTMLReport.Title.all {
            #expect(dom.stdout.contains(title), "the rendered DOM lacks \"\(title)\"")
        }
        #expect(dom.stdout.contains("<svg"))
        #expect(dom.stdout.contains("<polyline"))
        #expect(dom.stdout.contains("cache with key deps"))

        let reportShot = try await chromium.screenshot(report, in: directory, name: "report.png")
        let blankShot = try await chromium.screenshot(blank, in: directory, name: "blank.png")
        let size = try #require(PNGHeader(reportShot), "the screenshot is not a PNG")
        #expect(size.width == Self.windowSize.width && size.height == Self.windowSize.height)
        // A blank page compresses to almost nothing; lines, bars, text and tables do not.
        #expect(
            reportShot.count > 8 * blankShot.count && reportShot.count > 40_000,
            "the report's screenshot (\(reportShot.count) bytes) is not much larger than a blank page's (\(blankShot.count) bytes)")
    }
}

/// The `chromium` binary and how this test drives it.
struct Chromium {
    let path: String

    /// `chromium` (Debian) or `chromium-browser` on PATH.
    static func find() -> Chromium? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser"] {
            for directory in directories {
                let path = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return Chromium(path: path) }
            }
        }
        return nil
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Screenshot of `page` at the test's window size; the PNG's bytes.
    func screenshot(_ page: String, in directory: TemporaryDirectory, name: String) async throws -> Data {
        let path = directory.appending(name)
        let size = ReportBrowserTests.windowSize
        _ = try await run(
            ["--hide-scrollbars", "--window-size=\(size.width),\(size.height)", "--screenshot=\(path)", "file://\(page)"],
            in: directory)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Runs headless Chromium with its own profile directory (so parallel runs do not
    /// fight over one), bounded by coreutils `timeout` so a hung browser fails the test.
    func run(_ arguments: [String], in directory: TemporaryDirectory) async throws -> Output {
        let profile = directory.appending("profile-\(UUID().uuidString)")
        let stdoutPath = directory.appending("stdout-\(UUID().uuidString)")
        let stderrPath = directory.appending("stderr-\(UUID().uuidString)")
        // --no-sandbox: the sandbox cannot start as root or in most containers.
        let started = try Spawn.start(
            "/usr/bin/timeout",
            [
                "120", path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--user-data-dir=\(profile)",
            ] + arguments,
            output: .files(stdout: stdoutPath, stderr: stderrPath))
        let status = await Spawn.exitStatus(of: started.pid)
        let output = Output(
            status: status, stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
        guard status == 0 else {
            throw Failure(description: "chromium \(arguments.joined(separator: " ")) exited \(status): \(output.stderr.suffix(2000))")
        }
        return output
    }
}

/// Width and height from a PNG's IHDR chunk.
struct PNGHeader {
    var width: Int
    var height: Int

    init?(_ data: Data) {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR"
        else { return nil }
        func integer(_ offset: Int) -> Int {
            bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        width = integer(16)
        height = integer(20)
    }
}
