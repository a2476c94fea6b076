/// Where to serve metrics, and how to render them: the server emits through
/// swift-metrics, and the backend the caller bootstrapped (Prometheus) renders.
public struct MetricsConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (the log line "serving metrics" says which).
    public var port: Int
    public var render: @Sendable () -> [UInt8]

    public init(host: String, port: Int, render: @escaping @Sendable () -> [UInt8]) {
        self.host = host
        self.port = port
        self.render = render
    }
}
