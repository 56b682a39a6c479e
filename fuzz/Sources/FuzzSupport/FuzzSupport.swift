import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files for readers that take a path: each input is written to a folder of this process's own.
public enum FuzzFiles {
    private static let folder: String = {
        let path = NSTemporaryDirectory() + "/behaviorkit-fuzz-\(getpid())"
        mkdir(path, 0o700)
        return path
    }()

    /// Writes the `count` bytes at `start` to `name` in the folder; the file's path.
    public static func write(_ start: UnsafeRawPointer, _ count: Int, name: String) -> String {
        let path = folder + "/" + name
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        require(descriptor >= 0, "cannot create \(path)")
        var written = 0
        while written < count {
            let result = Foundation.write(descriptor, start + written, count - written)
            require(result > 0, "cannot write \(path)")
            written += result
        }
        close(descriptor)
        return path
    }
}

/// Stops the run (libFuzzer then saves the input as a crash) when a parser breaks a promise.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
