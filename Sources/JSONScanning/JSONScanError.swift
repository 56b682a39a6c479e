/// Why a text is not accepted, and where.
public struct JSONScanError: Error, Equatable, Sendable {
    /// What is wrong.
    public enum Problem: Equatable, Sendable {
        /// The text breaks JSON's grammar or the nesting limit; the words say how.
        case syntax(String)
        /// A string holds bytes that are not UTF-8.
        case invalidUTF8
        /// An object names this key twice (the same bytes once escapes are decoded).
        case duplicateKey(String)
    }

    /// What is wrong.
    public var problem: Problem
    /// The byte offset in the text where it was found (a string's or key's opening quote).
    public var offset: Int
    /// Whether the text ended where more was needed (`offset` is then its length).
    public var isAtEnd: Bool

    /// The problem in words, without its place: "expected ':' after the key".
    public var description: String {
        switch problem {
        case .syntax(let words): words
        case .invalidUTF8: "a string is not valid UTF-8"
        case .duplicateKey(let key): "the key \"\(key)\" is repeated"
        }
    }
}
