import Foundation

/// Encodes one categorical string column as one-hot vectors over the training categories.
///
/// The categories are the distinct training values in ascending order, so the same training
/// data always gives the same columns. A value not seen in training encodes as all zeros (no
/// "unknown" column): the model sees "none of the known categories".
///
/// ```swift
/// let encoder = try OneHotEncoder().fit(["shoes", "hats", "shoes"])   // categories [hats, shoes]
/// encoder.transform("shoes")   // [0, 1]
/// encoder.transform("bags")    // [0, 0]
/// ```
///
/// See Also: ``VocabularyEncoder``, ``HashingEncoder``.
public struct OneHotEncoder: Sendable, Hashable {
    /// Creates an unfitted encoder; call ``fit(_:)`` on the training column to get one that transforms.
    public init() {}

    /// Learns the distinct categories of the training values.
    ///
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when there are no values.
    public func fit(_ values: some Sequence<String>) throws -> Fitted {
        let categories = Set(values).sorted()
        guard !categories.isEmpty else {
            throw EventDataError.invalidOption(
                name: "OneHotEncoder.fit", detail: "there are no values to fit on; pass the training column")
        }
        return Fitted(categories: categories)
    }

    /// A one-hot encoder fitted on training data; the only type that can transform.
    public struct Fitted: Sendable, Hashable, Codable {
        /// The training categories in ascending order; category `i` sets position `i`.
        public let categories: [String]
        private let positions: [String: Int]

        /// The length of each encoded vector (the number of categories).
        public var width: Int { categories.count }

        init(categories: [String]) {
            self.categories = categories
            positions = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
        }

        private enum CodingKeys: String, CodingKey { case categories }

        public init(from decoder: any Decoder) throws {
            let categories = try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .categories)
            guard Set(categories).count == categories.count else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: decoder.codingPath,
                        debugDescription: "OneHotEncoder: categories repeat; refit the encoder and save it again"))
            }
            self.init(categories: categories)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(categories, forKey: .categories)
        }

        /// The position of `value` in the encoded vector, or `nil` when it was not seen in training.
        public func position(of value: String) -> Int? { positions[value] }

        /// The one-hot vector of `value`: 1 at its category, 0 elsewhere; all zeros when unseen.
        public func transform(_ value: String) -> [Double] {
            var vector = [Double](repeating: 0, count: width)
            if let position = positions[value] { vector[position] = 1 }
            return vector
        }

        /// The one-hot vectors of `values`, one row per value (`N` rows of ``width``).
        public func transform(_ values: [String]) -> [[Double]] { values.map { transform($0) } }
    }
}

/// Maps strings to dense indices by training frequency, with index 0 for out-of-vocabulary values.
///
/// Fitting counts each training value, keeps those seen at least `minimumCount` times, orders
/// them by count (most frequent first, ties by ascending string so results are deterministic),
/// and keeps the first `maximumSize`. The kept values get indices `1...`; everything else,
/// including values unseen in training, gets index 0. Suited to embedding lookups (item and
/// category ids), where the table has ``Fitted/size`` rows.
///
/// ```swift
/// let vocabulary = try VocabularyEncoder(minimumCount: 2).fit(["a", "b", "a", "c", "b", "a"])
/// vocabulary.index(of: "a")   // 1 (3 times)
/// vocabulary.index(of: "b")   // 2 (2 times)
/// vocabulary.index(of: "c")   // 0 (once: below the minimum count)
/// ```
///
/// See Also: ``OneHotEncoder``, ``HashingEncoder``.
public struct VocabularyEncoder: Sendable, Hashable {
    /// The index of every value outside the vocabulary.
    public static let outOfVocabularyIndex = 0

    /// The number of training occurrences a value needs to enter the vocabulary.
    public let minimumCount: Int
    /// The largest number of known values, not counting the out-of-vocabulary index; `nil` for no limit.
    public let maximumSize: Int?

    /// - Parameters:
    ///   - minimumCount: Values seen fewer times in training map to index 0. At least 1.
    ///   - maximumSize: Keep at most this many of the most frequent values; `nil` keeps all. At least 0.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when a limit is out of range.
    public init(minimumCount: Int = 1, maximumSize: Int? = nil) throws {
        guard minimumCount >= 1 else {
            throw EventDataError.invalidOption(
                name: "minimumCount", detail: "is \(minimumCount); use 1 or more")
        }
        if let maximumSize, maximumSize < 0 {
            throw EventDataError.invalidOption(
                name: "maximumSize", detail: "is \(maximumSize); use 0 or more, or nil for no limit")
        }
        self.minimumCount = minimumCount
        self.maximumSize = maximumSize
    }

    /// Counts the training values and builds the vocabulary.
    public func fit(_ values: some Sequence<String>) -> Fitted {
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        var kept = counts.filter { $0.value >= minimumCount }.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key
        }
        if let maximumSize, kept.count > maximumSize { kept.removeLast(kept.count - maximumSize) }
        return Fitted(tokens: kept.map(\.key), counts: kept.map(\.value))
    }

    /// A vocabulary fitted on training data; the only type that can map values to indices.
    public struct Fitted: Sendable, Hashable, Codable {
        /// The known values: `tokens[i]` has index `i + 1`.
        public let tokens: [String]
        /// The training count of each token, aligned with ``tokens``.
        public let counts: [Int]
        private let indices: [String: Int]

        /// The number of indices including the out-of-vocabulary index 0: `tokens.count + 1`.
        public var size: Int { tokens.count + 1 }

        init(tokens: [String], counts: [Int]) {
            self.tokens = tokens
            self.counts = counts
            indices = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0 + 1) })
        }

        private enum CodingKeys: String, CodingKey { case tokens, counts }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let tokens = try container.decode([String].self, forKey: .tokens)
            let counts = try container.decode([Int].self, forKey: .counts)
            guard Set(tokens).count == tokens.count, tokens.count == counts.count else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: decoder.codingPath,
                        debugDescription:
                            "VocabularyEncoder: tokens repeat or do not match the counts; refit the encoder and save it again"
                    ))
            }
            self.init(tokens: tokens, counts: counts)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(tokens, forKey: .tokens)
            try container.encode(counts, forKey: .counts)
        }

        /// The index of `value`: `1..<size` when known, 0 otherwise.
        public func index(of value: String) -> Int { indices[value] ?? VocabularyEncoder.outOfVocabularyIndex }

        /// The indices of `values`, in order.
        public func indices(of values: [String]) -> [Int] { values.map { index(of: $0) } }

        /// The value with `index`, or `nil` for index 0 and indices out of range.
        public func token(at index: Int) -> String? {
            index >= 1 && index <= tokens.count ? tokens[index - 1] : nil
        }
    }
}

/// Maps strings to one of `buckets` indices with a stable hash, with no fitting and no vocabulary.
///
/// ```
/// bucket(s) = FNV-1a-64(UTF-8 bytes of s) mod buckets
/// ```
///
/// FNV-1a, not Swift's `Hasher`, whose seed changes on every run: the same string gets the same
/// bucket in every process and on every machine, so a saved model keeps working. Strings are
/// hashed by their UTF-8 bytes as given, so differently normalised forms of the same text can
/// land in different buckets. Different strings can share a bucket.
///
/// ```swift
/// let hashing = try HashingEncoder(buckets: 16)
/// hashing.bucket(for: "a")   // 12
/// ```
///
/// See Also: ``VocabularyEncoder``.
public struct HashingEncoder: Sendable, Hashable, Codable {
    /// The number of buckets; indices are `0..<buckets`.
    public let buckets: Int

    /// - Parameter buckets: The number of buckets, at least 1.
    /// - Throws: ``EventDataError/invalidOption(name:detail:)`` when `buckets` is below 1.
    public init(buckets: Int) throws {
        guard buckets >= 1 else {
            throw EventDataError.invalidOption(name: "buckets", detail: "is \(buckets); use 1 or more")
        }
        self.buckets = buckets
    }

    private enum CodingKeys: String, CodingKey { case buckets }

    public init(from decoder: any Decoder) throws {
        let buckets = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .buckets)
        guard buckets >= 1 else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription: "HashingEncoder: buckets is \(buckets); it must be 1 or more"))
        }
        self.buckets = buckets
    }

    /// The bucket of `value`, in `0..<buckets`.
    public func bucket(for value: String) -> Int {
        Int(Self.fnv1a64(value) % UInt64(buckets))
    }

    /// The buckets of `values`, in order.
    public func buckets(for values: [String]) -> [Int] { values.map { bucket(for: $0) } }

    /// The 64-bit FNV-1a hash of the UTF-8 bytes of `value`.
    ///
    /// ```
    /// h = 0xcbf29ce484222325;  for each byte b: h = (h XOR b) * 0x100000001b3  (mod 2^64)
    /// ```
    public static func fnv1a64(_ value: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in value.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
