import Foundation
import Testing
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

@Suite("HTML report", .timeLimit(.minutes(1)))
struct HTMLReportTests {
    @Test func thePageIsWellFormedSelfContainedAndHasEveryChart() throws {
        let html = HTMLReport.render(ReportFixture.input())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        try HTMLStructure.check(html)
        for title in HTMLReport.Title.all {
            #expect(html.contains("<h2>\(title)</h2>"), "missing section \(title)")
        }
        // Nothing to fetch: no scripts, no external stylesheets, fonts or images.
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        #expect(!html.contains("url("))
        let external = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!external.contains("http://") && !external.contains("https://"))
        // The write chart has a line per table; the advice table says what to do.
        #expect(html.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(html.contains("<td><strong>do not cache</strong></td>"))
        #expect(html.contains("<td><strong>cache with key deps</strong></td>"))
    }

    @Test func countersFromStatsBecomeChecksAndBatchFigures() throws {
        let html = HTMLReport.render(ReportFixture.input())
        // Server-wide totals first, then one bar per table with counters.
        #expect(html.contains("<title>all tables valid: 900 (72%)</title>"))
        #expect(html.contains("<title>users valid: 890 (98%)</title>"))
        #expect(html.contains("<title>orders changed: 290 (97%)</title>"))
        #expect(html.contains("not over time"))
        #expect(html.contains("<span class=\"figure\">1.80</span> write requests per commit"))
        #expect(html.contains("records sharing one millisecond timestamp"))
        #expect(html.contains("a proxy"))
        #expect(html.contains("<h2>Per-table counters</h2>"))
    }

    @Test func missingCountersAreSaidNotHidden() throws {
        let html = HTMLReport.render(ReportFixture.input(withCounters: false))
        try HTMLStructure.check(html)
        for title in HTMLReport.Title.all { #expect(html.contains("<h2>\(title)</h2>")) }
        #expect(html.contains("has no check counters"))
        #expect(html.contains("--metrics-listen"))
        #expect(html.contains("no <code>mutations</code>/<code>commits</code> counters"))
        // The log's proxy does not need the server's counters.
        #expect(html.contains("records sharing one millisecond timestamp"))
    }

    @Test func namesFromTheLogAreEscaped() throws {
        let html = HTMLReport.render(ReportFixture.input(extraTable: "<script>alert(\"x\")</script>"))
        try HTMLStructure.check(html)
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
    }

    @Test func anEmptyWindowStillRendersEverySection() throws {
        let window = SyntheticLog.window(60_000)
        let activity = LogActivity().finished()
        let input = ReportInput(
            generatedAt: window.upperBound, window: window, activity: activity,
            advice: Advisor.advise(activity, window: window))
        let html = HTMLReport.render(input)
        try HTMLStructure.check(html)
        for title in HTMLReport.Title.all { #expect(html.contains("<h2>\(title)</h2>")) }
        #expect(html.contains("No table was written in the window."))
    }
}
