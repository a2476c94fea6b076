import Testing
@testable import TidemarkCapture

@Suite("PostgreSQL connection strings")
struct PostgresDSNTests {
    @Test func keyValuePairsWithQuotes() throws {
        let dsn = try PostgresDSN(#"host=/tmp/pg port=55432 dbname='my app' user=cap password='it\'s'"#, environment: [:])
        #expect(dsn.endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.55432"))
        #expect(dsn.database == "my app")
        #expect(dsn.user == "cap")
        #expect(dsn.password == "it's")
        #expect(!dsn.summary.contains("it's"))
    }

    @Test func aURIWithEverything() throws {
        let dsn = try PostgresDSN("postgresql://cap:p%40ss@127.0.0.1:6543/app?application_name=x", environment: [:])
        #expect(dsn.endpoint == .tcp(host: "127.0.0.1", port: 6543))
        #expect(dsn.password == "p@ss")
        #expect(dsn.database == "app")
    }

    @Test func theEnvironmentFillsTheGaps() throws {
        let dsn = try PostgresDSN("dbname=app", environment: ["PGHOST": "db.local", "PGUSER": "u", "PGPASSWORD": "pw", "PGPORT": "5433"])
        #expect(dsn.endpoint == .tcp(host: "db.local", port: 5433))
        #expect(dsn.user == "u" && dsn.password == "pw" && dsn.database == "app")
    }

    @Test(arguments: ["host", "host=a port=x", "sslmode=require", "colour=blue", "dbname='open"])
    func badStringsAreClearErrors(text: String) {
        #expect(throws: CaptureError.self) { try PostgresDSN(text, environment: [:]) }
    }
}
