import NIOCore
import NIOPosix

/// Runs one benchmark: setup (preload and stamp), connect every client, warm up,
/// measure, and merge what each event loop recorded.
public enum BenchRunner {
    /// `log` receives one line per phase, for people watching a long run.
    public static func run(
        _ configuration: BenchConfiguration, log: @Sendable (String) -> Void = { _ in }
    ) async throws -> BenchReport {
        try configuration.validate()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        do {
            let report = try await run(configuration, group: group, log: log)
            try await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func run(
        _ configuration: BenchConfiguration, group: MultiThreadedEventLoopGroup, log: @Sendable (String) -> Void
    ) async throws -> BenchReport {
        let setup = SetupConnection(socketPath: configuration.socketPath, group: group)
        let setupStarted = LoadConnectionHandler.now()
        let stamp: RequestEncoder.Stamp
        do {
            stamp = try await setup.prepare(
                table: configuration.table, keys: configuration.keys, preload: configuration.preload)
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("cannot set up the benchmark on \(configuration.socketPath)", cause: error)
        }
        log(
            "setup: \(configuration.preload ? "\(configuration.keys) keys written, " : "")stamp lsn \(stamp.lsn) "
                + "(\(Double(LoadConnectionHandler.now() - setupStarted) / 1e9) s)")

        let plan = LoadPlan(
            workload: configuration.workload, mix: configuration.mix, pipeline: configuration.pipeline,
            keys: configuration.distribution,
            encoder: RequestEncoder(
                table: configuration.table, deps: configuration.deps, batch: configuration.batch, stamp: stamp))
        let loops = Array(group.makeIterator())
        var recorders: [NIOLoopBound<LoopRecorder>] = []
        for loop in loops {
            recorders.append(try await loop.submit { NIOLoopBound(LoopRecorder(), eventLoop: loop) }.get())
        }

        var channels: [any Channel] = []
        defer { for channel in channels { channel.close(promise: nil) } }
        do {
            for index in 0..<configuration.clients {
                let recorder = recorders[index % loops.count]
                let seed = configuration.seed &+ UInt64(index) &* 0x9E37_79B9
                let channel = try await ClientBootstrap(group: loops[index % loops.count])
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                LoadConnectionHandler(plan: plan, recorder: recorder.value, seed: seed))
                        }
                    }
                    .connect(unixDomainSocketPath: configuration.socketPath).get()
                channels.append(channel)
            }
        } catch {
            throw BenchError("cannot open \(configuration.clients) connections", cause: error)
        }
        log("connected \(channels.count) clients on \(loops.count) threads")

        let start = LoadConnectionHandler.now() + UInt64(configuration.warmupSeconds * 1e9)
        let window = LoadWindow(start: start, end: start + UInt64(configuration.durationSeconds * 1e9))
        var finished: [EventLoopFuture<Void>] = []
        for channel in channels {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            finished.append(promise.futureResult)
            channel.eventLoop.execute {
                do {
                    let context = try channel.pipeline.syncOperations.context(handlerType: LoadConnectionHandler.self)
                    (context.handler as! LoadConnectionHandler).start(
                        window: window, finished: promise, context: context)
                } catch {
                    promise.fail(error)
                }
            }
        }
        for future in finished { try await future.get() }

        var results = LoadResults()
        for (loop, recorder) in zip(loops, recorders) {
            results.merge(try await loop.submit { recorder.value.results }.get())
        }
        return BenchReport(configuration: configuration, results: results, seconds: configuration.durationSeconds)
    }
}
