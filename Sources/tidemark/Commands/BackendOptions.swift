import ArgumentParser
import TidemarkEtcd

/// Where `serve` keeps its state: this host's LMDB data directory, or an etcd cluster that
/// every host's server shares.
struct BackendOptions: ParsableArguments {
    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case lmdb
        case etcd
    }

    enum Consistency: String, ExpressibleByArgument, CaseIterable {
        case linearizable
        case serializable
    }

    @Option(help: ArgumentHelp("lmdb (the default: this host's --data) or etcd (a cluster every host shares: --etcd)."))
    var backend: Backend = .lmdb

    @Option(
        help: ArgumentHelp(
            "The etcd members' client URLs, comma-separated, e.g. http://10.0.0.1:2379,http://10.0.0.2:2379.",
            valueName: "urls"))
    var etcd: String?

    @Option(
        name: .customLong("etcd-prefix"),
        help: ArgumentHelp("The key prefix Tidemark's state lives under in etcd (default /tidemark/).", valueName: "prefix"))
    var etcdPrefix = "/tidemark/"

    @Option(
        name: .customLong("etcd-timeout"),
        help: ArgumentHelp(
            "How long one etcd request may take before the next member is tried, e.g. 2s (default 5s).",
            valueName: "duration"),
        transform: Arguments.duration)
    var etcdTimeout: UInt64 = 5000

    @Option(
        name: .customLong("etcd-quota"),
        help: ArgumentHelp(
            "The cluster's --quota-backend-bytes, which etcd does not report, for stats' map_bytes (default etcd's 2GiB).",
            valueName: "size"),
        transform: Arguments.size)
    var etcdQuota: Int = 2 << 30

    @Option(
        name: .customLong("etcd-name"),
        help: ArgumentHelp(
            "Names this server's saved activity counters under the prefix; give each server its own (default: host name and socket path).",
            valueName: "name"))
    var etcdName: String?

    @Option(
        help: ArgumentHelp(
            "etcd backend: linearizable (the default) checks see every write acknowledged before they started; serializable answers from the local mirror, which may lag by the watch's delay."))
    var consistency: Consistency = .linearizable

    func validate() throws {
        switch backend {
        case .lmdb:
            if etcd != nil { throw ValidationError("--etcd needs --backend etcd") }
        case .etcd:
            guard let etcd else { throw ValidationError("--backend etcd needs --etcd URL[,URL...]") }
            do {
                _ = try EtcdEndpoints(etcd)
            } catch {
                throw ValidationError("--etcd: \(error.message)")
            }
            if let etcdName, etcdName.isEmpty || etcdName.utf8.count > 1024 {
                throw ValidationError("--etcd-name must be 1 to 1024 bytes")
            }
            if etcdTimeout == 0 { throw ValidationError("--etcd-timeout must be above zero") }
            guard etcdPrefix.hasPrefix("/"), etcdPrefix.hasSuffix("/"), etcdPrefix.count > 1 else {
                throw ValidationError("--etcd-prefix must start and end with / and name something, e.g. /tidemark/")
            }
        }
    }

    var etcdConsistency: EtcdVersions.Consistency {
        consistency == .linearizable ? .linearizable : .serializable
    }
}
