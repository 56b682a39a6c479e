import FileIO
import Foundation

/// One feature's training distribution, with its name and where it comes from.
public struct FeatureProfile: Sendable, Equatable {
    public enum Distribution: Sendable, Equatable {
        case numeric(NumericProfile)
        case categorical(CategoryProfile)
    }

    public var name: String
    /// `input` (a column the model reads), `users` (a per-user figure) or `events` (a per-event
    /// figure).
    public var group: String
    public var distribution: Distribution

    public init(name: String, group: String, distribution: Distribution) {
        self.name = name
        self.group = group
        self.distribution = distribution
    }

    /// The profile of a named sample: numeric or categorical as the sample is.
    public init(_ column: FeatureColumn) {
        name = column.name
        group = column.group
        switch column.sample {
        case .numbers(let values): distribution = .numeric(NumericProfile(values: values))
        case .categories(let values): distribution = .categorical(CategoryProfile(values: values))
        }
    }

    /// A numeric feature profiled from `values`.
    public static func numeric(_ name: String, group: String, _ values: some Sequence<Double>) -> FeatureProfile {
        FeatureProfile(name: name, group: group, distribution: .numeric(NumericProfile(values: values)))
    }

    /// A categorical feature profiled from `values` (nil is missing).
    public static func categorical(_ name: String, group: String, _ values: some Sequence<String?>) -> FeatureProfile {
        FeatureProfile(name: name, group: group, distribution: .categorical(CategoryProfile(values: values)))
    }
}

extension FeatureProfile: Codable {
    private enum CodingKeys: String, CodingKey { case name, group, kind, numeric, categories }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        group = try container.decode(String.self, forKey: .group)
        switch try container.decode(String.self, forKey: .kind) {
        case "numeric": distribution = .numeric(try container.decode(NumericProfile.self, forKey: .numeric))
        case "categorical":
            distribution = .categorical(try container.decode(CategoryProfile.self, forKey: .categories))
        case let kind:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "kind '\(kind)' is neither numeric nor categorical")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(group, forKey: .group)
        switch distribution {
        case .numeric(let profile):
            try container.encode("numeric", forKey: .kind)
            try container.encode(profile, forKey: .numeric)
        case .categorical(let profile):
            try container.encode("categorical", forKey: .kind)
            try container.encode(profile, forKey: .categories)
        }
    }
}

/// What a model learned from, kept in its bundle as `profile.json` so the model can be checked
/// for drift without the training data: a distribution per input feature (and, for event
/// models, per event and per user figure), the model's own scores on validation, the row count
/// and the data's time range. Deterministic for the same data; see `docs/monitoring.md` for
/// the format.
public struct TrainingProfile: Sendable, Codable, Equatable {
    /// The file name inside a model bundle.
    public static let fileName = "profile.json"
    /// The format this code writes and reads.
    public static let currentFormat = 1

    public var format: Int
    /// What a row is: `users`, `rows` (a table's) or `sequences`.
    public var unit: String
    public var rows: Int
    /// The training data's first and last event, in milliseconds since 1970-01-01 UTC (event
    /// models).
    public var firstEvent: Int64?
    public var lastEvent: Int64?
    /// The newest event time the model learned from, labels included: events after it are new
    /// to the model (`behave monitor` compares them by default).
    public var watermark: Int64?
    public var features: [FeatureProfile]
    /// The model's scores on the validation rows, and what they are.
    public var scores: NumericProfile?
    public var scoreMeaning: String?

    public init(
        unit: String, rows: Int, firstEvent: Int64? = nil, lastEvent: Int64? = nil, watermark: Int64? = nil,
        features: [FeatureProfile], scores: NumericProfile? = nil, scoreMeaning: String? = nil
    ) {
        format = Self.currentFormat
        self.unit = unit
        self.rows = rows
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.watermark = watermark
        self.features = features
        self.scores = scores
        self.scoreMeaning = scoreMeaning
    }

    /// Writes `directory/profile.json` (keys sorted, so the same profile gives the same bytes).
    public func save(in directory: URL) throws(FileError) {
        let data = encoded()
        let file = try OutputFile(path: directory.appendingPathComponent(Self.fileName).path)
        try file.write(data)
        try file.commit()
    }

    /// The bytes of `profile.json`: compact JSON with sorted keys.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try encoder.encode(self)
        } catch {
            preconditionFailure("a training profile always encodes: \(error)")
        }
    }

    /// Reads `directory/profile.json`.
    ///
    /// - Throws: ``MonitoringError/noProfile(path:)`` when the bundle has none (trained before
    ///   profiles existed), ``MonitoringError/badProfile(path:detail:)`` when it is unreadable,
    ///   of a newer format, or inconsistent.
    public static func load(from directory: URL) throws(MonitoringError) -> TrainingProfile {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { throw .noProfile(path: directory.path) }
        let profile: TrainingProfile
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            profile = try decoder.decode(TrainingProfile.self, from: Data(contentsOf: url))
        } catch {
            throw .badProfile(path: url.path, detail: "unreadable: \(error.localizedDescription)")
        }
        guard profile.format <= currentFormat else {
            throw .badProfile(
                path: url.path, detail: "format \(profile.format) is newer than this behave reads (\(currentFormat))")
        }
        for feature in profile.features {
            let consistent: Bool
            switch feature.distribution {
            case .numeric(let numeric): consistent = numeric.isConsistent
            case .categorical(let categories): consistent = categories.isConsistent
            }
            guard consistent else {
                throw .badProfile(path: url.path, detail: "feature '\(feature.name)' does not add up")
            }
        }
        if let scores = profile.scores, !scores.isConsistent {
            throw .badProfile(path: url.path, detail: "the score distribution does not add up")
        }
        return profile
    }
}

/// Why a profile could not be read or used.
public enum MonitoringError: Error, LocalizedError, Equatable {
    /// The bundle has no `profile.json`.
    case noProfile(path: String)
    case badProfile(path: String, detail: String)

    public var errorDescription: String? {
        switch self {
        case .noProfile(let path):
            return "\(path) has no \(TrainingProfile.fileName): it was trained before models kept their training "
                + "profile; train it again to monitor it"
        case .badProfile(let path, let detail):
            return "\(path): \(detail)"
        }
    }
}
