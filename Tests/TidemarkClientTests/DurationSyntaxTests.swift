import Testing
import TidemarkClient

@Suite("DURATION argument syntax")
struct DurationSyntaxTests {
    @Test func units() throws {
        #expect(try DurationSyntax.parse("90s") == 90_000)
        #expect(try DurationSyntax.parse("30m") == 1_800_000)
        #expect(try DurationSyntax.parse("12h") == 43_200_000)
        #expect(try DurationSyntax.parse("7d") == 604_800_000)
        #expect(try DurationSyntax.parse("250ms") == 250)
        #expect(try DurationSyntax.parse("1500") == 1500)
        #expect(try DurationSyntax.parse("12H") == 43_200_000)
        #expect(try DurationSyntax.parse(" 30 m ") == 1_800_000)
    }

    @Test func combinations() throws {
        #expect(try DurationSyntax.parse("1h30m") == 5_400_000)
        #expect(try DurationSyntax.parse("2d12h") == 216_000_000)
        #expect(try DurationSyntax.parse("1m500ms") == 60_500)
    }

    @Test(arguments: [
        "", " ", "s", "h1", "0", "0s", "0h0m", "-5s", "1.5h", "5x", "5 sec", "1h30", "30m1h2", "10y",
        "99999999999999999999", "9999999999999999d", "1e3",
    ])
    func refused(_ text: String) {
        let error = #expect(throws: TidemarkClientError.self) { try DurationSyntax.parse(text) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func theMessageNamesTheText() {
        let error = #expect(throws: TidemarkClientError.self) { try DurationSyntax.parse("5x") }
        #expect(error?.message.contains("\"5x\"") == true)
    }
}
