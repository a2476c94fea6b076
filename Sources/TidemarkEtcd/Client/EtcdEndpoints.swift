import Foundation

/// The client URLs of an etcd cluster's members (`--etcd http://a:2379,http://b:2379`).
public struct EtcdEndpoints: Sendable, Hashable {
    public let urls: [String]

    /// Parses a comma-separated list; each entry must be `http://host:port` (TLS is not
    /// supported yet: the members are expected on a private network or loopback).
    public init(_ list: String) throws(EtcdError) {
        try self.init(urls: list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    public init(urls: [String]) throws(EtcdError) {
        guard !urls.isEmpty else { throw EtcdError(.configuration, "no etcd endpoint given") }
        self.urls = try urls.map { (url) throws(EtcdError) -> String in
            guard url.hasPrefix("http://"), url.count > "http://".count, !url.contains(" ") else {
                throw EtcdError(.configuration, "the etcd endpoint \"\(url)\" is not http://host:port")
            }
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
    }
}
