import TidemarkBench

/// SplitMix64, the same generator `tidemark bench` uses: deterministic, so a failing
/// randomized test can be replayed from the seed it prints.
public typealias SeededGenerator = BenchRandom
