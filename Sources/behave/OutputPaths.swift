import ArgumentParser
import FileIO

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
