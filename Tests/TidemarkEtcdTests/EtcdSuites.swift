import Testing

/// Every etcd suite runs inside this one, one test at a time: each test starts 3-member
/// clusters of its own, and several at once on a 2-core machine made etcd miss the
/// tests' request timeouts (a full `make test` runs everything else beside them too).
@Suite(.serialized) enum EtcdSuites {}
