/// Methods whose params must be empty: `hello`, `ping`, `stats`.
public enum EmptyParams {
    public static func validate(_ json: JSONValue?) throws(RPCError) {
        try ParamsReader(json).finish()
    }
}
