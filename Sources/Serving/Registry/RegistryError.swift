import Foundation

/// What went wrong with the registry or a key file, in words that name the place and the fix.
public struct RegistryError: Error, LocalizedError, Sendable, Equatable {
    /// The folder or file concerned.
    public var path: String
    /// What is wrong there and what to do.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var errorDescription: String? { "\(path): \(reason)" }
}
