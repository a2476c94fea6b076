import Foundation
import ArgumentParser
import Logging
import TidemarkClient
import TidemarkEtcd
import TidemarkServer

extension ServeCommand {
    /// `--backend etcd`: the same socket protocol, with the state in an etcd cluster.
    /// Options that only mean something for a data directory are refused here.
    func serveOnEtcd(socketPath: String, logger: Logger) async throws {
        let lmdbOnly = [
            ("--data", data != nil), ("--map-size", mapSize != nil), ("--local-readers", localReaders != nil),
            ("--metrics-listen", metricsListen != nil), ("--max-queued-writes", maxQueuedWrites != nil),
            ("--sync none", sync != .full),
        ]
        if let (flag, _) = lmdbOnly.first(where: { $0.1 }) {
            Console.error("\(flag) applies to --backend lmdb only")
            throw ExitCode(1)
        }
        var configuration = RemoteApplication.Configuration(socketPath: socketPath)
        configuration.server = serverConfiguration(socketPath: socketPath)
        configuration.retention = RetentionPolicy(maxRecords: retainRecords, maxAge: retainAge)
        let client = EtcdClient(
            endpoints: try EtcdEndpoints(backend.etcd ?? ""), requestTimeout: .milliseconds(Int64(backend.etcdTimeout)),
            logger: logger)
        do {
            try DefaultPaths.createParentDirectory(of: socketPath)
            // A check waits for the mirror no longer than a request may take.
            let versions = try await EtcdVersions.open(
                client: client, prefix: backend.etcdPrefix, mirrorTimeout: .milliseconds(Int64(backend.etcdTimeout)),
                logger: logger)
            let store = EtcdVersionStore(
                versions, consistency: backend.etcdConsistency, quotaBytes: backend.etcdQuota,
                activityName: backend.etcdName ?? Self.defaultEtcdName(socketPath: socketPath))
            let application = RemoteApplication(
                configuration: configuration, store: store, storeServices: [versions], logger: logger)
            try await application.run()
            await client.shutdown()
        } catch {
            await client.shutdown()
            Console.error(Self.startupMessage(error))
            throw ExitCode(1)
        }
    }

    /// Stable across restarts of the same server, and apart for two servers of one host.
    static func defaultEtcdName(socketPath: String) -> String {
        let absolute = socketPath.hasPrefix("/") ? socketPath : FileManager.default.currentDirectoryPath + "/" + socketPath
        return ProcessInfo.processInfo.hostName + ":" + absolute
    }
}
