#if canImport(Glibc)
import Glibc
#endif

#if TIDEMARK_FUZZ
/// libFuzzer's entry when linked with `-sanitize=fuzzer`: SwiftPM renames the module's
/// `main` and points the executable's `main` at it, so libFuzzer's own `main` cannot be
/// used; this one hands the process to libFuzzer's driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
enum FuzzMain {
    static func main() {
        if SeedWriter.handles(CommandLine.arguments) { return }
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
    }
}

/// Also exported under libFuzzer's conventional name: its runtime refers to the symbol,
/// and an unoptimized link does not strip that reference away.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzHarness.shared.run(input)
    return 0
}
#elseif DEBUG
/// A debug build (plain `swift build`) replays inputs without libFuzzer, e.g. a crash
/// file: `tidemark-fuzz crash-1234 ...`. It keeps the harness compiling with the rest.
@main
enum FuzzMain {
    static func main() {
        if SeedWriter.handles(CommandLine.arguments) { return }
        let files = CommandLine.arguments.dropFirst()
        guard !files.isEmpty else {
            printError("usage: tidemark-fuzz FILE... (replays inputs; build with `make fuzz` to fuzz)")
            exit(2)
        }
        for file in files {
            guard let input = SeedWriter.read(file) else {
                printError("cannot read \(file)")
                exit(1)
            }
            FuzzHarness.shared.run(input)
            print("ok \(file)")
        }
        FuzzHarness.shared.removeDirectory()
    }
}
#else
/// A release build without the fuzzing flags has no harness (it needs testable imports).
@main
enum FuzzMain {
    static func main() {
        printError("tidemark-fuzz was built without the fuzzer; use `make fuzz`")
        exit(2)
    }
}
#endif
