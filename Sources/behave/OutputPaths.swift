import ArgumentParser
import FileIO
import Foundation

/// Fails before any work when `path` cannot take an output file.
func checkOutputFile(_ path: String, option: String) throws {
    do {
        try OutputLocation.checkFile(path)
    } catch {
        throw ValidationError("\(option) \(path): \(error.reason).")
    }
}

/// Fails before any work when no model directory can be written at `path`.
func checkOutputDirectory(_ path: String, option: String) throws {
    do {
        try OutputLocation.checkDirectory(path)
    } catch {
        throw ValidationError("\(option) \(path): \(error.reason).")
    }
}

/// Writes a finished text output (replaced atomically), or fails naming `option`.
func writeOutputText(_ text: String, to path: String, option: String) throws {
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw ValidationError("\(option) \(path): cannot write it (\(error.localizedDescription)).")
    }
}

/// The name of a segmentation, flag set or vector set stored in the event store: `given`, or
/// `prefix-DATE` with the date of `--at` (or today).
func storedSetName(_ given: String?, prefix: String, at: String?) -> String {
    given ?? "\(prefix)-\(String((at ?? ISO8601DateFormatter().string(from: Date())).prefix(10)))"
}
