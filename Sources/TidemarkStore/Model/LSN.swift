/// A position in the change log: strictly increasing from 1, never reused.
/// Version numbers are LSNs too: `ver(dep)` is the LSN of the last record that moved it.
public typealias LSN = UInt64

/// Milliseconds since the Unix epoch, the one unit of wall-clock time on the wire and on disk.
public typealias Milliseconds = UInt64
