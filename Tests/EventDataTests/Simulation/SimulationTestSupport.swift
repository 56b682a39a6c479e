import Foundation

@testable import EventData

/// A small simulation shared by the simulator tests (generated once, in memory): 12 bots, 12
/// frauds and 120 churners among 400 users, and no takeovers or farms, so these tests see the
/// same data as before the simulator planted those.
enum SimulationFixture {
    static let config = SimulationConfig(
        users: 400, items: 300, categories: 8, days: 21, seed: 11, botFraction: 0.03, fraudFraction: 0.03,
        churnFraction: 0.3, takeoverFraction: 0, farmFraction: 0)

    /// The same simulation with 12 taken-over accounts and 24 farm accounts in place of regular users.
    static let plantedConfig: SimulationConfig = {
        var planted = config
        planted.takeoverFraction = 0.03
        planted.farmFraction = 0.06
        return planted
    }()

    /// The generated events and ground truth.
    struct Output: Sendable {
        var events: [Event]
        var truth: GroundTruth
        /// Events grouped by user (each user's events in time order).
        var byUser: [String: [Event]]

        func users(where predicate: (GroundTruth.User) -> Bool) -> [GroundTruth.User] {
            truth.users.filter(predicate)
        }
    }

    private static func generate(_ config: SimulationConfig) throws -> Output {
        var events: [Event] = []
        let truth = try BehaviorSimulator(config: config).generate { events.append($0) }
        return Output(events: events, truth: truth, byUser: Dictionary(grouping: events, by: \.userID))
    }

    private static let cached = Result { try generate(config) }
    private static let cachedPlanted = Result { try generate(plantedConfig) }

    /// Generates the fixture on first use.
    static func output() throws -> Output { try cached.get() }

    /// Generates the fixture with takeovers and farms on first use.
    static func planted() throws -> Output { try cachedPlanted.get() }
}

/// A fresh temporary directory, removed when the closure returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "simulation-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// A minimal RFC 4180 reader: fields split on commas, `"` quoting with doubled quotes, records
/// ending in `\n` (a quoted field may contain commas, quotes and line breaks).
func parseCSV(_ text: String) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var iterator = Array(text.unicodeScalars).makeIterator()
    var pending: Unicode.Scalar? = iterator.next()
    while let scalar = pending {
        pending = iterator.next()
        if quoted {
            if scalar == "\"" {
                if pending == "\"" {
                    field.unicodeScalars.append("\"")
                    pending = iterator.next()
                } else {
                    quoted = false
                }
            } else {
                field.unicodeScalars.append(scalar)
            }
        } else if scalar == "\"" {
            quoted = true
        } else if scalar == "," {
            record.append(field)
            field = ""
        } else if scalar == "\n" {
            record.append(field)
            records.append(record)
            record = []
            field = ""
        } else {
            field.unicodeScalars.append(scalar)
        }
    }
    if !field.isEmpty || !record.isEmpty {
        record.append(field)
        records.append(record)
    }
    return records
}
