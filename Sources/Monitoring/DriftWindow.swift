import Synchronization

/// The most recent values of each profiled feature a served model was asked about, and its
/// recent scores, to compare with its training profile while it serves.
///
/// Each feature keeps its last ``capacity`` values (a ring), so one busy feature does not push
/// another out; values of features the profile does not name are dropped. Safe to record into
/// from many requests at once.
public final class DriftWindow: Sendable {
    public let profile: TrainingProfile
    public let capacity: Int
    private let state: Mutex<State>

    /// The default window: the last 10,000 values of each feature.
    public static let defaultCapacity = 10_000

    private struct State {
        var numbers: [String: Ring<Double>] = [:]
        var categories: [String: Ring<String?>] = [:]
        var scores: Ring<Double>
        var rows = 0
    }

    public init(profile: TrainingProfile, capacity: Int = DriftWindow.defaultCapacity) {
        precondition(capacity > 0, "DriftWindow capacity \(capacity)")
        self.profile = profile
        self.capacity = capacity
        var state = State(scores: Ring(capacity: capacity))
        for feature in profile.features {
            switch feature.distribution {
            case .numeric: state.numbers[feature.name] = Ring(capacity: capacity)
            case .categorical: state.categories[feature.name] = Ring(capacity: capacity)
            }
        }
        self.state = Mutex(state)
    }

    /// Adds what one request saw: `rows` rows (users, table rows or histories), their feature
    /// values and the model's scores.
    public func record(rows: Int, columns: [FeatureColumn], scores: [Double]) {
        state.withLock { state in
            state.rows += rows
            for column in columns {
                switch column.sample {
                case .numbers(let values): state.numbers[column.name]?.append(contentsOf: values)
                case .categories(let values): state.categories[column.name]?.append(contentsOf: values)
                }
            }
            state.scores.append(contentsOf: scores)
        }
    }

    /// Rows recorded since the model was loaded.
    public var recordedRows: Int { state.withLock { $0.rows } }

    /// The window against the profile, or nil before anything was recorded.
    public func report(settings: DriftSettings = DriftSettings()) -> DriftReport? {
        let (recent, rows, scores) = state.withLock { state -> ([String: FeatureSample], Int, [Double]) in
            var features: [String: FeatureSample] = [:]
            for (name, ring) in state.numbers where ring.count > 0 { features[name] = .numbers(ring.values) }
            for (name, ring) in state.categories where ring.count > 0 { features[name] = .categories(ring.values) }
            return (features, state.rows, state.scores.values)
        }
        guard rows > 0 else { return nil }
        // Features no request carried (say, event figures of history-only requests) are left
        // out rather than reported absent.
        var seen = profile
        seen.features = profile.features.filter { recent[$0.name] != nil }
        return seen.compare(
            with: RecentData(rows: min(rows, capacity), features: recent, scores: scores.isEmpty ? nil : scores),
            settings: settings)
    }
}

/// A fixed-capacity ring of the latest values.
struct Ring<Element> {
    private var storage: [Element] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { storage.count }

    mutating func append(contentsOf values: some Collection<Element>) {
        for value in values.suffix(capacity) {
            if storage.count < capacity {
                storage.append(value)
            } else {
                storage[next] = value
            }
            next = (next + 1) % capacity
        }
    }

    /// The values, oldest first.
    var values: [Element] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }
}
