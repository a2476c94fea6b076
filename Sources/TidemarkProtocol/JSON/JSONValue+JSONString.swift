extension JSONValue: CustomStringConvertible {
    /// Compact JSON text, so values read naturally in logs and test failures.
    public var jsonString: String {
        JSONWriter.string(self)
    }

    public var description: String {
        jsonString
    }
}
