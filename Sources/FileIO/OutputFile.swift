import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file written under a temporary name beside its final path and renamed into place only
/// when complete, so a failed or interrupted run never leaves a truncated file where the user
/// expects output (an earlier file at the path stays as it was).
///
/// ```swift
/// let file = try OutputFile(path: "scored.csv")
/// try file.write(Data("user_id,probability\n".utf8))
/// try file.commit()          // without this the partial file is removed
/// ```
public final class OutputFile {
    /// Where the file appears once committed.
    public let path: String
    private let temporaryPath: String
    private var handle: FileHandle?

    /// Creates the temporary file beside `path`.
    ///
    /// - Throws: ``FileError`` when `path` is a folder or its folder is missing or unwritable.
    public init(path: String) throws(FileError) {
        try OutputLocation.checkFile(path)
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath =
            url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporaryPath, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporaryPath)
        else {
            throw FileError(path: path, reason: "the file cannot be created; check that its folder is writable")
        }
        self.handle = handle
    }

    deinit {
        if let handle {
            try? handle.close()
            unlink(temporaryPath)
        }
    }

    /// Appends `data`.
    ///
    /// - Throws: ``FileError`` (a full disk, for example).
    public func write(_ data: Data) throws(FileError) {
        guard let handle else { preconditionFailure("OutputFile.write after commit or discard: \(path)") }
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw FileError(path: path, underlying: error)
        }
    }

    /// Flushes the file to disk and renames it to ``path``, replacing what was there.
    ///
    /// - Throws: ``FileError``; the temporary file is removed and ``path`` is untouched.
    public func commit() throws(FileError) {
        guard let handle else { preconditionFailure("OutputFile.commit twice: \(path)") }
        self.handle = nil
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            unlink(temporaryPath)
            throw FileError(path: path, underlying: error)
        }
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw FileError(path: path, underlying: NSError(domain: NSPOSIXErrorDomain, code: Int(code)))
        }
    }

    /// Removes the temporary file without touching ``path`` (also done when the value is
    /// released uncommitted).
    public func discard() {
        guard let handle else { return }
        self.handle = nil
        try? handle.close()
        unlink(temporaryPath)
    }
}

/// Checks made before long work starts, so that an output path that cannot work is reported
/// at once rather than after an hour of training.
public enum OutputLocation {
    /// Checks that a file can be written at `path`: it is not a folder, and its folder exists
    /// and is writable (an existing file there will be replaced).
    ///
    /// - Throws: ``FileError`` saying which of these fails.
    public static func checkFile(_ path: String) throws(FileError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FileError(path: path, reason: "this is a folder; give a file name for the output")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileError(path: path, reason: "the folder \(folder) does not exist; create it first")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw FileError(path: path, reason: "the folder \(folder) is not writable")
        }
    }

    /// Checks that a folder can be written (or created) at `path`: it is not a file, and the
    /// nearest existing folder on the way is writable.
    ///
    /// - Throws: ``FileError`` saying which of these fails.
    public static func checkDirectory(_ path: String) throws(FileError) {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            let parent = url.deletingLastPathComponent()
            guard parent.path != url.path else { break }
            url = parent
        }
        guard isDirectory.boolValue else {
            let detail =
                url.path == URL(fileURLWithPath: path).standardizedFileURL.path
                ? "this is a file, not a folder; choose another path or remove the file"
                : "\(url.path) is a file, so no folder can be made inside it"
            throw FileError(path: path, reason: detail)
        }
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw FileError(path: path, reason: "the folder \(url.path) is not writable")
        }
    }
}
