import ArgumentParser
import TidemarkClient
import TidemarkProtocol
import TidemarkStore

/// Turns argument text into protocol values; failures become usage errors (status 64).
enum Arguments {
    static func change(_ text: String) throws -> Change {
        try usage { () throws(TidemarkClientError) in try ChangeSyntax.change(text) }
    }

    static func deps(_ texts: [String]) throws -> [Dep] {
        try usage { () throws(TidemarkClientError) in try ChangeSyntax.deps(texts) }
    }

    static func meta(_ text: String) throws -> JSONObject {
        guard let object = (try? JSONParser.parse(text))?.objectValue else {
            throw ValidationError("--meta must be a JSON object, e.g. '{\"by\":\"migration 42\"}'")
        }
        return object
    }

    static func epoch(_ text: String) throws -> Epoch {
        guard let epoch = Epoch(hex: text) else { throw ValidationError("--epoch must be the 32 hex digits of an epoch") }
        return epoch
    }

    static func size(_ text: String) throws -> Int {
        try usage { () throws(TidemarkClientError) in try ByteSizeSyntax.parse(text) }
    }

    static func duration(_ text: String) throws -> UInt64 {
        try usage { () throws(TidemarkClientError) in try DurationSyntax.parse(text) }
    }

    private static func usage<T>(_ body: () throws(TidemarkClientError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw ValidationError(error.message)
        }
    }
}
