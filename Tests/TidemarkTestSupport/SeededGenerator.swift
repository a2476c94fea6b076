import TidemarkProtocol

/// SplitMix64, the generator `tidemark bench` and `tidemark advise` use: deterministic, so a failing
/// randomized test can be replayed from the seed it prints.
public typealias SeededGenerator = SplitMix64
