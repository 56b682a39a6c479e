import Foundation
import Logging
import Monitoring
import Serving
import Synchronization

/// The live version of every registry model, loaded, and swapped when the registry changes.
///
/// ``refresh()`` reads the registry; a model whose live version differs from the one loaded is
/// loaded beside it (the old one keeps answering meanwhile) and swapped in with one assignment
/// under a lock, so a request, which takes its model once, is answered wholly by one version.
/// A version that fails to load (corrupt, unknown kind) is refused: logged, counted, and the
/// old version keeps serving; it is not retried until the registry names another version.
public final class LiveModels: Sendable {
    /// One loaded model.
    public struct Loaded: Sendable {
        public var name: String
        public var version: String
        public var task: String
        public var kind: String?
        public var created: String?
        /// The metrics card (`metrics.json`).
        public var metrics: Data?
        public var model: any ServedModel
    }

    /// A version the registry names live that could not be loaded.
    public struct Refusal: Sendable, Equatable {
        public var version: String
        public var reason: String
    }

    public let registry: ModelRegistry
    private let kinds: ModelKinds
    private let logger: Logger
    private let metrics: ServerMetrics?
    private let loaded = Mutex<[String: Loaded]>([:])
    private let refused = Mutex<[String: Refusal]>([:])
    /// What the registry said at the last refresh: model name to live version.
    private let wanted = Mutex<[String: String]>([:])

    public init(registry: ModelRegistry, kinds: ModelKinds = .standard, logger: Logger, metrics: ServerMetrics? = nil) {
        self.registry = registry
        self.kinds = kinds
        self.logger = logger
        self.metrics = metrics
    }

    /// The model serving `name`, or nil.
    public func model(named name: String) -> Loaded? {
        loaded.withLock { $0[name] }
    }

    /// Every loaded model, by name.
    public var all: [Loaded] {
        loaded.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }

    /// Versions the registry names live that were refused, by model.
    public var refusals: [String: Refusal] {
        refused.withLock { $0 }
    }

    /// Whether every model with a live version in the registry has a version loaded.
    public var isReady: Bool {
        let wanted = wanted.withLock { $0 }
        return loaded.withLock { current in wanted.keys.allSatisfy { current[$0] != nil } }
    }

    /// Reads the registry and loads what changed. Registry errors are logged; the models
    /// loaded keep serving.
    public func refresh() {
        let live: [String: String]
        do {
            live = try registry.liveVersions()
        } catch {
            logger.error("registry unreadable: \(error.localizedDescription)")
            return
        }
        for (name, version) in live {
            if model(named: name)?.version == version {
                // Serving what the registry names (after a rollback past a refused version).
                refused.withLock { $0[name] = nil }
                continue
            }
            if refused.withLock({ $0[name]?.version == version }) { continue }
            let found = registry.version(version, of: name)
            guard FileManager.default.fileExists(atPath: found.directory.path) else {
                refuse(name, version: version, reason: "the live version's folder is missing")
                continue
            }
            load(name, found)
        }
        wanted.withLock { $0 = live }
        loaded.withLock { current in
            for name in current.keys where live[name] == nil {
                current[name] = nil
                logger.info("model \(name) left the registry; no longer served")
            }
        }
    }

    private func load(_ name: String, _ version: ModelVersion) {
        guard let task = version.task else {
            refuse(name, version: version.version, reason: "its config.json is missing or unreadable")
            return
        }
        guard let loader = kinds.loaders[task] else {
            let known = kinds.loaders.keys.sorted().joined(separator: ", ")
            refuse(
                name, version: version.version, reason: "this server does not serve \(task) models (it serves \(known))"
            )
            return
        }
        let model: any ServedModel
        do {
            model = try loader(version.directory)
        } catch {
            refuse(name, version: version.version, reason: error.localizedDescription)
            return
        }
        let previous = loaded.withLock { current in
            let previous = current[name]?.version
            current[name] = Loaded(
                name: name, version: version.version, task: task, kind: version.model, created: version.created,
                metrics: version.metrics, model: model)
            return previous
        }
        refused.withLock { $0[name] = nil }
        logger.info(
            "model \(name) version \(version.version) (\(task)) serving\(previous.map { ", replacing \($0)" } ?? "")")
        if model.driftWindow == nil {
            do {
                _ = try TrainingProfile.load(from: version.directory)
            } catch MonitoringError.noProfile {
                // Trained before profiles existed: nothing to compare with, nothing to say.
            } catch {
                logger.warning(
                    "model \(name) version \(version.version): drift not tracked: \(error.localizedDescription)")
            }
        }
    }

    private func refuse(_ name: String, version: String, reason: String) {
        refused.withLock { $0[name] = Refusal(version: version, reason: reason) }
        metrics?.modelLoadFailed(model: name, version: version)
        let serving = model(named: name).map { "version \($0.version) keeps serving" } ?? "nothing serves it"
        logger.error("model \(name) version \(version) refused: \(reason); \(serving)")
    }
}
