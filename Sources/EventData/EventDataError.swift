import Foundation

/// Errors of the event pipeline that stop a whole operation (not a single bad row).
///
/// Every message names the place (file, line, column, flag) and says how to fix it.
public enum EventDataError: Error, LocalizedError, Equatable, Sendable {
    /// A file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// A file could not be created or written.
    case unwritable(path: String, reason: String)
    /// The input's format could not be recognised or does not match the chosen format.
    case unrecognizedFormat(path: String, detail: String)
    /// A column mapping names a column the file does not have, or misses a required one.
    case badMapping(path: String, detail: String)
    /// The event store failed (opening, migrating, writing, querying).
    case store(path: String, detail: String)
    /// An option or argument has a value that cannot work.
    case invalidOption(name: String, detail: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
        case .unrecognizedFormat(let path, let detail): return "\(path): \(detail)"
        case .badMapping(let path, let detail): return "\(path): \(detail)"
        case .store(let path, let detail): return "event store \(path): \(detail)"
        case .invalidOption(let name, let detail): return "\(name): \(detail)"
        }
    }
}
