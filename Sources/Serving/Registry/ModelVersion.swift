import Foundation

/// One version of a registered model: its folder and what its bundle says about itself.
///
/// Every model directory `behave train` writes holds a `config.json` with the task
/// (`next-item`, `classify`, `purchase`, `churn`, `embed`, ...) and the time it was created, and
/// most hold a `metrics.json` (the metrics card); a saved forecast model holds
/// `forecast-model.json` instead. The registry reads only those, so it lists any kind,
/// including kinds added later.
public struct ModelVersion: Sendable, Equatable {
    /// The version: a positive integer, as a string (`"3"`).
    public var version: String
    /// The bundle's folder.
    public var directory: URL
    /// The task the bundle was trained for (`next-item`, `classify`, `purchase`, ...), or nil
    /// when its `config.json` is missing or unreadable (such a version cannot be promoted).
    public var task: String?
    /// The model inside (`sasrec`, `mlp`, ...) when the bundle says.
    public var model: String?
    /// When it was trained (ISO 8601, as the bundle records it).
    public var created: String?
    /// The metrics card (`metrics.json`) as raw JSON, or nil.
    public var metrics: Data?

    /// Reads what the bundle in `directory` says about itself; never throws (a broken bundle
    /// is listed with what could be read).
    public init(version: String, directory: URL) {
        self.version = version
        self.directory = directory
        let config =
            Self.object(at: directory.appendingPathComponent("config.json"))
            ?? Self.object(at: directory.appendingPathComponent("forecast-model.json")).map { file in
                var fields = file
                fields["task"] = "forecast"
                return fields
            }
        task = config?["task"] as? String
        created = config?["created"] as? String
        let settings = config?["config"] as? [String: Any]
        model = (settings?["model"] as? String) ?? (config?["model"] as? String) ?? (config?["kind"] as? String)
        metrics = try? Data(contentsOf: directory.appendingPathComponent("metrics.json"))
    }

    private static func object(at url: URL) -> [String: Any]? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
