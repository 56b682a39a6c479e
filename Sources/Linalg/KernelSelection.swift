import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

extension BLAS {
    /// The name of the kernel family OpenBLAS chose for this CPU (e.g. "SkylakeX", "Haswell").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The OpenBLAS kernel family this CPU supports best, judged from its instruction-set
    /// flags, or nil when nothing better than OpenBLAS's own choice is known.
    ///
    /// OpenBLAS picks kernels from a table of CPU model numbers. Releases older than the CPU
    /// (Debian 12 ships 0.3.21) fall back to the SSE3 "Prescott" kernels on new Xeons, which
    /// makes matrix products several times slower. The instruction-set flags tell the truth.
    public static var preferredCoreType: String? {
        #if os(Linux)
            guard let flags = cpuFlags() else { return nil }
            let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
            if avx512.allSatisfy(flags.contains) { return "SkylakeX" }
            if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        #endif
        return nil
    }

    /// Restarts the current program with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to
    /// generic kernels on a CPU that supports AVX2 or AVX-512.
    ///
    /// OpenBLAS reads `OPENBLAS_CORETYPE` only while it is being loaded, so the only way to
    /// change its choice from inside a program is to start the program again. Call this first
    /// thing in `main`; it returns normally when nothing needs to change, when the user has
    /// set `OPENBLAS_CORETYPE` (their choice wins), or when restarting is impossible.
    public static func relaunchWithFasterKernelsIfNeeded() {
        #if os(Linux)
            guard getenv("OPENBLAS_CORETYPE") == nil, let preferred = preferredCoreType else { return }
            let generic: Set<String> = [
                "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Coppermine", "Northwood", "Banias",
                "Atom", "unknown",
            ]
            guard generic.contains(coreName) else { return }
            setenv("OPENBLAS_CORETYPE", preferred, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with the kernels we have.
        #endif
    }

    #if os(Linux)
        private static func cpuFlags() -> Set<String>? {
            guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
            defer { fclose(file) }
            var line: UnsafeMutablePointer<CChar>? = nil
            var capacity = 0
            defer { free(line) }
            while getline(&line, &capacity, file) > 0 {
                guard let line else { break }
                let text = String(cString: line)
                if text.hasPrefix("flags") {
                    return Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
                }
            }
            return nil
        }
    #endif
}
