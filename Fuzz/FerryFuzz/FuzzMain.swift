import Foundation

#if FUZZING
    import CLibFuzzer
#endif

// libFuzzer calls this once per input; FERRY_FUZZ_TARGET names the target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzCommand.target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}

/// `ferry-fuzz targets` lists the targets; `ferry-fuzz seed <dir>` writes each target's starting
/// corpus to <dir>/<target>/; `ferry-fuzz run <target> <file>...` replays inputs (kept crashes)
/// through one target. Built by `scripts/fuzz` (with -DFUZZING and -sanitize=fuzzer), any other
/// command line goes to libFuzzer.
@main
struct FuzzCommand {
    static let target: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FERRY_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set FERRY_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "targets":
            print(FuzzTarget.allCases.map(\.rawValue).joined(separator: "\n"))
        case "seed" where arguments.count == 2:
            for target in FuzzTarget.allCases {
                let folder = URL(fileURLWithPath: arguments[1]).appendingPathComponent(target.rawValue)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for (index, input) in FuzzSeeds.inputs(for: target).enumerated() {
                    try input.write(to: folder.appendingPathComponent("seed-\(index)"))
                }
            }
        case "run" where arguments.count >= 2:
            guard let target = FuzzTarget(rawValue: arguments[1]) else { fatalError("unknown target \(arguments[1])") }
            for path in arguments.dropFirst(2) {
                guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
                target.run(Array(data))
            }
        default:
            #if FUZZING
                // SwiftPM links this entry point as `main`, in place of libFuzzer's own.
                var argc = CommandLine.argc
                var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
                exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
            #else
                print("usage: ferry-fuzz targets | seed <dir> | run <target> <file>...  (scripts/fuzz runs libFuzzer)")
            #endif
        }
    }
}
