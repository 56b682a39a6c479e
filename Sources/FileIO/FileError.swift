import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file or folder that cannot be read or written, in plain words with its path.
///
/// Foundation's own messages on Linux are often "The operation could not be completed.
/// (NSCocoaErrorDomain error 512.)"; ``init(path:underlying:)`` turns such errors into what
/// happened ("permission denied", "no space left on device").
public struct FileError: Error, LocalizedError, Sendable, Equatable {
    /// The file or folder concerned.
    public var path: String
    /// What went wrong and, where it helps, what to do.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// The plain-words version of a Foundation or POSIX error about `path`.
    public init(path: String, underlying error: any Error) {
        self.init(path: path, reason: Self.describe(error))
    }

    public var errorDescription: String? { "\(path): \(reason)" }

    /// What a Foundation, POSIX or other error means, without error domains and codes.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? FileError { return error.reason }
        if let error = error as? CocoaError {
            if let posix = (error.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap(posixCode) {
                return systemMessage(posix)
            }
            switch error.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: return systemMessage(ENOENT)
            case .fileReadNoPermission, .fileWriteNoPermission: return systemMessage(EACCES)
            case .fileWriteFileExists: return systemMessage(EEXIST)
            case .fileWriteOutOfSpace: return systemMessage(ENOSPC)
            case .fileWriteVolumeReadOnly: return systemMessage(EROFS)
            case .fileReadTooLarge: return "the file is too large to read into memory"
            case .fileReadCorruptFile: return "the file's contents are not in the expected format"
            case .fileReadInapplicableStringEncoding: return "the file is not valid UTF-8 text"
            case .fileWriteInvalidFileName: return "the file name is not valid"
            default: break
            }
        }
        let nsError = error as NSError
        if let posix = posixCode(nsError) { return systemMessage(posix) }
        let text = error.localizedDescription
        // Foundation's fallback text carries no information beyond the domain and code.
        if text.contains("The operation could not be completed") {
            return "the operation failed (\(nsError.domain) \(nsError.code))"
        }
        return text
    }

    /// The errno behind an `NSPOSIXErrorDomain` error, directly or as its underlying error.
    private static func posixCode(_ error: NSError) -> Int32? {
        if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return Int32(underlying.code)
        }
        return nil
    }

    /// `strerror`'s text in lower case ("permission denied").
    private static func systemMessage(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "system error \(code)" }
        return String(cString: text).lowercased()
    }
}
