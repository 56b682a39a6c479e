import FileIO
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A folder of versioned model bundles and, per model, which version is live.
///
/// ```
/// registry/
///   shop-recs/
///     1/  2/  3/      bundles, each as `behave train` writes a model directory
///     live.json       {"live": "3", "history": ["1", "3"]}
/// ```
///
/// Versions are numbered `1, 2, 3, ...` in the order they are registered and never reused.
/// A trained bundle is written to a staging folder inside the model's folder and renamed to
/// its version only once complete, so a half-written version is never listed. `live.json`
/// is replaced atomically (written beside, then renamed), so a server reading it sees either
/// the old or the new live version. Changes to one model take a lock file, so two
/// `behave models promote` runs do not interleave. The first version registered becomes live;
/// later ones only when promoted.
///
/// ```swift
/// let registry = ModelRegistry(root: URL(fileURLWithPath: "registry"))
/// let staging = try registry.stagingDirectory(for: "shop-recs")
/// // ... write a model directory into `staging` ...
/// let version = try registry.register(staged: staging, as: "shop-recs")   // "1", live
/// try registry.promote("shop-recs", version: "2")
/// try registry.rollback("shop-recs")                                         // back to "1"
/// ```
public struct ModelRegistry: Sendable {
    /// The registry's folder.
    public let root: URL

    /// A registry in `root` (created when the first model is registered).
    public init(root: URL) {
        self.root = root
    }

    /// One model: its versions (oldest first) and the live one.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var versions: [ModelVersion]
        /// The live version's number, or nil when none is live.
        public var live: String?
        /// The versions that were live before, oldest first (what ``rollback(_:)`` returns to).
        public var history: [String]
    }

    /// What a promotion or rollback changed.
    public struct Change: Sendable, Equatable {
        public var name: String
        /// The version live before, or nil.
        public var previous: String?
        /// The version live now.
        public var live: String
    }

    /// Whether `name` can name a model: 1 to 64 letters, digits, `-`, `_` or `.`, not starting
    /// with `.` (it becomes a folder name and a URL path segment).
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.count), !name.hasPrefix(".") else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "-_.".unicodeScalars
                    .contains($0)
        }
    }

    /// Every model in the registry, by name.
    ///
    /// - Throws: ``FileError`` when the registry folder cannot be read.
    public func entries() throws(FileError) -> [Entry] {
        try modelNames().map { name throws(FileError) in try entry(name) }
    }

    /// The models' folder names, sorted.
    private func modelNames() throws(FileError) -> [String] {
        guard FileManager.default.fileExists(atPath: root.path) else { return [] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        } catch {
            throw FileError(path: root.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        return names.filter { Self.isValidName($0) && isDirectory(modelDirectory($0)) }.sorted()
    }

    /// Every model's live version, by name: what a server polls. Reads only the `live.json`
    /// files, not the bundles (``entries()`` reads every version's `config.json` and
    /// `metrics.json`).
    ///
    /// - Throws: ``FileError`` when the registry folder or a `live.json` cannot be read.
    public func liveVersions() throws(FileError) -> [String: String] {
        var live: [String: String] = [:]
        for name in try modelNames() {
            if let version = try readState(name).live { live[name] = version }
        }
        return live
    }

    /// Version `version` of model `name`, its bundle read (whether or not the folder exists).
    public func version(_ version: String, of name: String) -> ModelVersion {
        ModelVersion(version: version, directory: modelDirectory(name).appendingPathComponent(version))
    }

    /// One model.
    ///
    /// - Throws: ``FileError`` when there is no such model or its `live.json` is unreadable.
    public func entry(_ name: String) throws(FileError) -> Entry {
        let directory = modelDirectory(name)
        guard Self.isValidName(name), isDirectory(directory) else {
            throw FileError(
                path: directory.path,
                reason:
                    "no model named \"\(name)\" in the registry; `behave models list --registry \(root.path)` lists them"
            )
        }
        let state = try readState(name)
        return Entry(name: name, versions: versions(in: directory), live: state.live, history: state.history)
    }

    /// The live version of `name`, or nil when none is live.
    public func liveVersion(of name: String) throws(FileError) -> ModelVersion? {
        let entry = try entry(name)
        return entry.versions.first { $0.version == entry.live }
    }

    /// A new empty folder inside the model's folder to write a bundle into before
    /// ``register(staged:as:)``.
    ///
    /// - Throws: ``FileError`` for an invalid name or an unwritable registry.
    public func stagingDirectory(for name: String) throws(FileError) -> URL {
        try requireValidName(name)
        let directory = modelDirectory(name).appendingPathComponent(".staging-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FileError(
                path: directory.path, reason: "cannot be created; check that the registry folder is writable")
        }
        return directory
    }

    /// Renames a complete bundle in `staged` to the model's next version; it becomes live when
    /// no version is. Returns the version.
    ///
    /// - Throws: ``FileError`` when the bundle has no readable `config.json` (or
    ///   `forecast-model.json`), or the rename fails.
    @discardableResult
    public func register(staged: URL, as name: String) throws(FileError) -> String {
        try requireValidName(name)
        guard ModelVersion(version: "0", directory: staged).task != nil else {
            throw FileError(
                path: staged.path, reason: "is not a model directory (no readable config.json); nothing was registered")
        }
        return try withLock(name) { () throws(FileError) -> String in
            let directory = modelDirectory(name)
            let next = String((versions(in: directory).compactMap { Int($0.version) }.max() ?? 0) + 1)
            let target = directory.appendingPathComponent(next)
            guard rename(staged.path, target.path) == 0 else {
                throw FileError(
                    path: target.path,
                    reason: "the bundle could not be moved here (\(String(cString: strerror(errno))))")
            }
            var state = try readState(name)
            if state.live == nil {
                state.history.append(next)
                try writeState(state, for: name)
            }
            return next
        }
    }

    /// Makes `version` the live version of `name`.
    ///
    /// - Throws: ``FileError`` for an unknown model or version, or a version whose bundle
    ///   does not say what it is (no readable `config.json`).
    @discardableResult
    public func promote(_ name: String, version: String) throws(FileError) -> Change {
        try withLock(name) { () throws(FileError) -> Change in
            let entry = try entry(name)
            guard let target = entry.versions.first(where: { $0.version == version }) else {
                let known = entry.versions.map(\.version).joined(separator: ", ")
                throw FileError(
                    path: modelDirectory(name).appendingPathComponent(version).path,
                    reason: "no version \(version) of \"\(name)\" (versions: \(known.isEmpty ? "none" : known))")
            }
            guard target.task != nil else {
                throw FileError(
                    path: target.directory.path,
                    reason: "has no readable config.json, so it cannot be served; retrain or remove this version")
            }
            var state = try readState(name)
            let previous = state.live
            if previous != version {
                state.history.append(version)
                try writeState(state, for: name)
            }
            return Change(name: name, previous: previous, live: version)
        }
    }

    /// Makes the version that was live before the current one live again.
    ///
    /// - Throws: ``FileError`` when there is nothing to roll back to, or that version's
    ///   folder is gone.
    @discardableResult
    public func rollback(_ name: String) throws(FileError) -> Change {
        try withLock(name) { () throws(FileError) -> Change in
            let entry = try entry(name)
            var state = try readState(name)
            guard state.history.count >= 2, let current = state.history.popLast(), let previous = state.history.last
            else {
                throw FileError(
                    path: modelDirectory(name).path,
                    reason: "\"\(name)\" has no earlier live version to roll back to; promote one by number instead")
            }
            guard entry.versions.contains(where: { $0.version == previous }) else {
                throw FileError(
                    path: modelDirectory(name).appendingPathComponent(previous).path,
                    reason: "the version to roll back to is gone; promote another by number")
            }
            try writeState(state, for: name)
            return Change(name: name, previous: current, live: previous)
        }
    }

    // MARK: - Files

    /// What `live.json` holds: the promotions in order, the last one live.
    struct State: Codable, Equatable {
        var history: [String] = []
        var live: String? { history.last }

        enum CodingKeys: String, CodingKey { case live, history }

        init() {}

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            history = try container.decode([String].self, forKey: .history)
            let live = try container.decodeIfPresent(String.self, forKey: .live)
            guard live == history.last else {
                throw DecodingError.dataCorruptedError(
                    forKey: .live, in: container, debugDescription: "live is not the last entry of history")
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(live, forKey: .live)
            try container.encode(history, forKey: .history)
        }
    }

    func modelDirectory(_ name: String) -> URL { root.appendingPathComponent(name, isDirectory: true) }

    private func stateFile(_ name: String) -> URL { modelDirectory(name).appendingPathComponent("live.json") }

    private func requireValidName(_ name: String) throws(FileError) {
        guard Self.isValidName(name) else {
            throw FileError(
                path: root.appendingPathComponent(name).path,
                reason:
                    "\"\(name)\" is not a model name: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'"
            )
        }
    }

    private func isDirectory(_ url: URL) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
    }

    /// The numbered version folders, oldest first.
    private func versions(in directory: URL) -> [ModelVersion] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in Int(name).flatMap { $0 > 0 && String($0) == name ? $0 : nil } }
            .sorted()
            .map { ModelVersion(version: String($0), directory: directory.appendingPathComponent(String($0))) }
    }

    private func readState(_ name: String) throws(FileError) -> State {
        let file = stateFile(name)
        guard FileManager.default.fileExists(atPath: file.path) else { return State() }
        do {
            return try JSONDecoder().decode(State.self, from: Data(contentsOf: file))
        } catch {
            throw FileError(
                path: file.path,
                reason: "is not a live-version file (\(error.localizedDescription)); promote a version to rewrite it")
        }
    }

    private func writeState(_ state: State, for name: String) throws(FileError) {
        let file = stateFile(name)
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: file, options: .atomic)
        } catch {
            throw FileError(path: file.path, reason: "cannot be written (\(error.localizedDescription))")
        }
    }

    /// Runs `body` holding an exclusive lock on the model's lock file.
    private func withLock<T>(_ name: String, _ body: () throws(FileError) -> T) throws(FileError) -> T {
        try requireValidName(name)
        let directory = modelDirectory(name)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FileError(path: directory.path, reason: "cannot be created; check that the registry is writable")
        }
        let lockPath = directory.appendingPathComponent(".lock").path
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else {
            throw FileError(path: lockPath, reason: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw FileError(path: lockPath, reason: "cannot be locked (\(String(cString: strerror(errno))))")
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
